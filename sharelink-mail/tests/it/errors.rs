//! How SMTP failures map to `MailError`, against a small scripted SMTP server on
//! loopback that refuses, defers or stalls on cue (MailDev accepts everything).

use sharelink_core::ports::{MailError, Mailer, send_each};
use sharelink_mail::{SmtpConfig, SmtpCredentials, SmtpMailer, TlsMode};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

/// What the scripted server does.
#[derive(Debug, Clone, Copy, Default)]
struct Script {
    /// Never greet (to test timeouts).
    silent: bool,
    /// Offer AUTH and refuse every login with 535.
    refuse_login: bool,
}

/// Starts the server; recipients containing "refused" get 550, "later" get 451.
/// Returns its port and the recipients of each accepted message.
async fn scripted_server(script: Script) -> (u16, Arc<Mutex<Vec<Vec<String>>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("address").port();
    let delivered = Arc::new(Mutex::new(Vec::new()));
    let log = delivered.clone();
    tokio::spawn(async move {
        loop {
            let Ok((socket, _)) = listener.accept().await else {
                return;
            };
            let log = log.clone();
            tokio::spawn(async move {
                if script.silent {
                    tokio::time::sleep(Duration::from_secs(60)).await;
                    drop(socket);
                    return;
                }
                let (read, mut write) = socket.into_split();
                let mut lines = BufReader::new(read).lines();
                let mut recipients = Vec::new();
                let reply = |text: &str| format!("{text}\r\n");
                if write
                    .write_all(reply("220 scripted ESMTP").as_bytes())
                    .await
                    .is_err()
                {
                    return;
                }
                while let Ok(Some(line)) = lines.next_line().await {
                    let upper = line.to_ascii_uppercase();
                    let answer = if upper.starts_with("EHLO") {
                        if script.refuse_login {
                            "250-scripted\r\n250 AUTH PLAIN LOGIN".to_owned()
                        } else {
                            "250 scripted".to_owned()
                        }
                    } else if upper.starts_with("HELO") || upper.starts_with("NOOP") {
                        "250 ok".to_owned()
                    } else if upper.starts_with("AUTH") {
                        "535 5.7.8 authentication credentials invalid".to_owned()
                    } else if upper.starts_with("MAIL FROM") || upper.starts_with("RSET") {
                        recipients.clear();
                        "250 ok".to_owned()
                    } else if upper.starts_with("RCPT TO") {
                        if line.contains("refused") {
                            "550 5.1.1 no such mailbox".to_owned()
                        } else if line.contains("later") {
                            "451 4.3.0 try again later".to_owned()
                        } else {
                            recipients.push(line[8..].trim().to_owned());
                            "250 ok".to_owned()
                        }
                    } else if upper == "DATA" {
                        if write
                            .write_all(reply("354 go ahead").as_bytes())
                            .await
                            .is_err()
                        {
                            return;
                        }
                        while let Ok(Some(data)) = lines.next_line().await {
                            if data == "." {
                                break;
                            }
                        }
                        log.lock()
                            .expect("log")
                            .push(std::mem::take(&mut recipients));
                        "250 queued".to_owned()
                    } else if upper.starts_with("QUIT") {
                        let _ = write.write_all(reply("221 bye").as_bytes()).await;
                        return;
                    } else {
                        "500 unrecognised".to_owned()
                    };
                    if write.write_all(reply(&answer).as_bytes()).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    (port, delivered)
}

fn config(port: u16) -> SmtpConfig {
    let mut config = SmtpConfig::new("127.0.0.1", TlsMode::None, crate::maildev::sender());
    config.port = port;
    config.timeout = Duration::from_secs(5);
    config
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

fn address(local: &str) -> sharelink_core::Email {
    sharelink_core::Email::parse(&format!("{local}@example.com")).expect("address")
}

/// A 5xx for one recipient is `Rejected` for that recipient, a 4xx is `Deferred`, and
/// the recipients around them still get their messages.
#[test]
fn refusals_are_reported_per_recipient_and_the_rest_are_sent() {
    rt().block_on(async {
        let (port, delivered) = scripted_server(Script::default()).await;
        let mailer = SmtpMailer::new(config(port)).expect("mailer");
        let people = ["first", "refused", "later", "last"].map(address);
        let mails: Vec<_> = people.iter().map(crate::invitation).collect();
        let results = send_each(&mailer, &mails).await;
        assert!(results[0].is_ok(), "{:?}", results[0]);
        match &results[1] {
            Err(MailError::Rejected {
                recipient, source, ..
            }) => {
                assert_eq!(recipient, &people[1]);
                assert!(source.is_some(), "the lettre error is kept as source");
            }
            other => panic!("expected Rejected, got {other:?}"),
        }
        match &results[2] {
            Err(MailError::Deferred { recipient, .. }) => assert_eq!(recipient, &people[2]),
            other => panic!("expected Deferred, got {other:?}"),
        }
        assert!(results[3].is_ok(), "{:?}", results[3]);
        let delivered = delivered.lock().expect("log").clone();
        assert_eq!(
            delivered,
            vec![vec!["<first@example.com>"], vec!["<last@example.com>"]]
        );
    });
}

/// Nothing listening: `Unreachable`, both for sends and for the connection check.
#[test]
fn closed_port_is_unreachable() {
    rt().block_on(async {
        let port = {
            let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
            listener.local_addr().expect("address").port()
        };
        let mailer = SmtpMailer::new(config(port)).expect("mailer");
        let result = mailer.send(&crate::invitation(&address("ana"))).await;
        assert!(
            matches!(result, Err(MailError::Unreachable { .. })),
            "{result:?}"
        );
        let check = mailer.check_connection().await;
        assert!(
            matches!(check, Err(MailError::Unreachable { .. })),
            "{check:?}"
        );
    });
}

/// A server that never answers: the configured timeout ends the wait as `Unreachable`.
#[test]
fn silent_server_times_out() {
    rt().block_on(async {
        let (port, _) = scripted_server(Script {
            silent: true,
            ..Script::default()
        })
        .await;
        let mut config = config(port);
        config.timeout = Duration::from_millis(500);
        let mailer = SmtpMailer::new(config).expect("mailer");
        let started = Instant::now();
        let result = mailer.send(&crate::invitation(&address("ana"))).await;
        assert!(
            matches!(result, Err(MailError::Unreachable { .. })),
            "{result:?}"
        );
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{:?}",
            started.elapsed()
        );
    });
}

/// A refused login is not the recipient's fault: `Other`, never `Rejected`.
#[test]
fn refused_login_is_not_a_recipient_refusal() {
    rt().block_on(async {
        let (port, delivered) = scripted_server(Script {
            refuse_login: true,
            ..Script::default()
        })
        .await;
        let mut config = config(port);
        config.credentials = Some(SmtpCredentials {
            username: "mailer".to_owned(),
            password: sharelink_core::ports::Secret("wrong".to_owned()),
        });
        let mailer = SmtpMailer::new(config).expect("mailer");
        let result = mailer.send(&crate::invitation(&address("ana"))).await;
        assert!(matches!(result, Err(MailError::Other { .. })), "{result:?}");
        assert!(delivered.lock().expect("log").is_empty());
    });
}

/// The scripted server accepts a plain message: the connection check passes.
#[test]
fn connection_check_passes_on_a_working_server() {
    rt().block_on(async {
        let (port, _) = scripted_server(Script::default()).await;
        let mailer = SmtpMailer::new(config(port)).expect("mailer");
        mailer.check_connection().await.expect("connection check");
    });
}

/// Credentials in clear to another machine are refused when the mailer is built.
#[test]
fn credentials_without_tls_to_a_remote_host_are_refused() {
    let mut config = SmtpConfig::new("smtp.example.com", TlsMode::None, crate::maildev::sender());
    config.credentials = Some(SmtpCredentials {
        username: "u".to_owned(),
        password: sharelink_core::ports::Secret("p".to_owned()),
    });
    let result = SmtpMailer::new(config);
    assert!(
        matches!(
            result,
            Err(sharelink_mail::ConfigError::CredentialsWithoutTls { .. })
        ),
        "{result:?}"
    );
}
