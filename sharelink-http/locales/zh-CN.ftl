# 访客页面，简体中文。

## Layout
language-switcher = 语言
breadcrumbs = 文件夹
breadcrumb-home = 首页
continue = 继续

## Page titles
title-shared-files = 共享文件
title-confirm-download = 确认下载
title-open = 打开共享文件
title-password = 需要密码
title-email = 验证您的邮箱
title-register = 登记
title-terms = 条款
title-reopen = 请重新打开链接

## Opening a share
open-heading = 共享文件
open-text = 点击按钮打开此共享。
open-button = 打开
reopen-link = 打开共享

## Confirming a counted download
confirm-download-heading = 下载 { $name }
confirm-download-text = 此链接的使用次数有限。点击按钮开始下载。
confirm-download-button = 下载
confirm-all-files = 全部文件

## Gates
password-heading = 需要密码
password-text = 此共享受密码保护。
password-label = 密码
email-heading = 验证您的邮箱
email-text = 请输入您的邮箱地址，我们将向您发送一次性验证码。
email-label = 邮箱
email-send = 发送验证码
code-label = 验证码
code-verify = 验证
register-heading = 请先登记
terms-accept = 我同意
terms-default-title = 条款
cannot-continue = 无法继续

## The share page
share-available-until = 有效期至 { $date }
column-name = 名称
column-size = 大小
column-modified = 修改时间
sort-by = 按{ $column }排序
folder-empty = 此文件夹为空。
folder-items = { $count } 项
select-entry = 选择 { $name }
preview = 预览
views = 视图
view-list = 列表
view-grid = 网格
preview-back = 返回文件夹
preview-open = 打开文件
preview-download = 下载
rename = 重命名
rename-label = 新名称
move = 移动
copy = 复制
move-label = 目标文件夹
move-placeholder = 文件夹
go = 执行
delete = 删除
download-all = 全部下载（ZIP）
download-selected = 下载所选（ZIP）
mkdir = 新建文件夹
mkdir-label = 新文件夹名称
mkdir-placeholder = 新文件夹

## Uploads
upload-title = 上传
upload-title-inbox = 向所有者发送文件
upload-into = 上传到
upload-files = 文件
upload = 上传
upload-drop-hint = 也可以将文件和文件夹拖放到这里。
upload-folder = 或整个文件夹
upload-folder-button = 上传文件夹
upload-none-chosen = 未上传任何文件：没有选择文件。
upload-sent-to-owner = 已向所有者发送 { $count } 个文件。
upload-done-unlisted = 已上传 { $count } 个文件。所有者已收到；此链接不显示文件夹内容。
upload-done = 已上传 { $count } 个文件。
upload-nothing-stored = 没有上传任何文件。
upload-stored-before = 在此之前已上传：{ $count } 个文件。
upload-back = 返回上传表单

## Upload messages of upload.js
js-uploaded = 已上传 { $n } / { $total }。
js-upload-failed = 上传失败（{ $status }）。
js-upload-interrupted = 上传已中断，请重试。
js-folder-unreadable = 无法读取拖入的文件夹。

## The embeddable widget
embed-open = 打开共享文件

## Refusals (page headings)
failure-not-found = 未找到共享
failure-expired = 此链接已过期
failure-uses-exhausted = 已达到使用次数上限
failure-invitation-used = 邀请已被使用
failure-not-allowed = 不允许此操作
failure-file-type = 文件类型被拒绝
failure-no-preview = 无法预览
failure-too-many-attempts = 尝试次数过多
failure-no-session = 请重新打开链接
failure-csrf = 表单已过期
failure-outside = 未找到
failure-ip = 您所在的网络无法访问
failure-unavailable = 暂时不可用
failure-upload-rule = 上传被拒绝
failure-upload-failed = 上传失败
failure-other = 无法继续

## Refusals (page text; English is core's own wording)
denial-not-found = 此共享链接不存在
denial-expired = 此共享链接已过期
denial-uses-exhausted = 此共享链接已达到使用次数上限
denial-ip-not-allowed = 无法从您所在的网络打开此共享
denial-email-not-allowed = 此邮箱地址无权打开此共享
denial-device-mismatch = 此共享链接已绑定到其他设备
denial-outside-share = 在此共享中未找到
denial-preview-unavailable = 此文件无法预览
denial-no-session = 请重新打开共享链接
denial-too-many-attempts = 尝试次数过多，请稍后再试
denial-csrf = 表单已过期，请刷新页面后重试
denial-no-space = 文件存储空间已满，请稍后再试

## Sizes and dates
unit-b = B
unit-kb = KB
unit-mb = MB
unit-gb = GB
unit-tb = TB
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
