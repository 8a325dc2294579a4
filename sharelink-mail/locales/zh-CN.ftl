# 邮件的简体中文文字。

month-1 = 1月
month-2 = 2月
month-3 = 3月
month-4 = 4月
month-5 = 5月
month-6 = 6月
month-7 = 7月
month-8 = 8月
month-9 = 9月
month-10 = 10月
month-11 = 11月
month-12 = 12月
date = { $year }年{ $monthnum }月{ $day }日 { $time }（{ $zone }）

sent-by = 由 { $site } 发送。
open-share = 打开共享
anonymous-visitor = 一位匿名访客
from-address = 来自地址：{ $ip }

invitation-subject = { $sender } 与您共享了“{ $share }”
invitation-intro = { $sender } 在 { $site } 上与您共享了“{ $share }”。
invitation-message-from = 来自 { $sender } 的留言：
invitation-open-here = 在此打开：
invitation-until = 此链接的有效期至 { $date }。
invitation-personal = 此链接仅供您本人使用：请勿转发。

code-subject = 您用于“{ $share }”的验证码
code-intro = 您在 { $site } 上打开“{ $share }”的验证码：
code-validity = 验证码在 { $minutes } 分钟内有效。如果您没有申请，可以忽略此邮件。

download-subject = “{ $share }”已被下载
download-intro = { $who } 于 { $date } 从您的共享“{ $share }”下载了文件。
downloaded = 已下载：
all-files = 全部文件

resent-subject = 您访问“{ $share }”的新链接
resent-intro = 您在 { $site } 上访问“{ $share }”的链接已在另一个浏览器中打开，因此在那里已不再有效。这是一个新链接，仅供您本人使用：
resent-note = 如果您没有在别处打开该链接，请告知与您共享的人。

expiry-subject = “{ $share }”将于 { $date } 到期
expiry-intro = 您在 { $site } 上的共享“{ $share }”将于 { $date } 到期。
expiry-note = 到期后，访客将无法再打开它。您可以在共享列表中延长有效期。

attack-subject = 有人正在尝试猜测“{ $share }”
attack-target-password = 密码
attack-target-codes = 一次性验证码
attack-target-code-addresses = 用于一次性验证码的邮箱地址
attack-intro = 有人正在猜测您在 { $site } 上的共享“{ $share }”的{ $target }：截至 { $date }，{ $minutes } 分钟内尝试了 { $attempts } 次。
attack-note = 新的尝试暂时会被放慢；之前已打开共享的访客不受影响。如果密码可能已泄露，请修改密码或撤销该共享。

notice-subject-download = “{ $share }”：一次下载
notice-subject-upload = “{ $share }”：一次新上传
notice-subject-registration = “{ $share }”：一次新登记
notice-subject-first-visit = “{ $share }”：一次首次访问
notice-subject-expiry = “{ $share }”：即将到期
event-downloaded = { $who } 于 { $date } 从“{ $share }”下载了文件。
event-uploaded = { $who } 于 { $date } 向“{ $share }”上传了一个文件。
event-registered = 一位访客于 { $date } 填写了“{ $share }”的登记表。
event-first-visit = { $recipient } 于 { $date } 首次打开了访问“{ $share }”的链接。
event-expiry-soon = 您的共享“{ $share }”将于 { $date } 到期。
detail-downloaded = 已下载：{ $what }
detail-file = 文件：{ $path }（{ $bytes } 字节）
detail-name = 姓名：{ $name }
detail-email = 邮箱：{ $email }
digest-intro = 自上次汇总以来，您在 { $site } 上的共享发生了以下事件（共 { $count } 个）：
digest-subject-one = “{ $share }”上的动态
digest-subject-many = 您的 { $count } 个共享上的动态
