"""Error codes of uploads and attachments."""

from app.core.errors import define

FILE_TOO_LARGE = define("file_too_large", 413, "文件过大，超过上传大小限制", "The file exceeds the upload size limit")
FILE_TYPE_NOT_ALLOWED = define("file_type_not_allowed", 415, "仅支持上传 JPEG、PNG、WebP 图片或 PDF 文件",
                               "Only JPEG, PNG, WebP images and PDF files are accepted")
FILE_NOT_USABLE = define("file_not_usable", 422, "文件不存在或不是您上传的",
                         "The files do not exist or were not uploaded by you")
FILE_CONTENT_MISSING = define("file_content_missing", 409, "文件内容已丢失，请重新上传该文件后再试",
                              "The file's content is missing from storage; upload the same file again")
UPLOAD_RATE_LIMITED = define("upload_rate_limited", 429, "上传过于频繁，请稍后再试", "Too many uploads; try again later")
UPLOAD_QUOTA_EXCEEDED = define("upload_quota_exceeded", 413, "您上传的文件已达存储上限",
                               "Your uploads have reached their storage limit")
