"""Error codes of consents and residents' rights over their personal information."""

from app.core.errors import define

CONSENT_REQUIRED = define("consent_required", 428, "请先阅读并同意个人信息保护告知（版本{notice_version}）",
                          "Read and accept the privacy notice first (version {notice_version})")
CONSENT_VERSION_UNKNOWN = define("consent_version_unknown", 409, "告知版本已更新，请阅读并同意当前版本{notice_version}",
                                 "That is not the current privacy notice; accept version {notice_version}")
