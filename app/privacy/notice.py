"""The operator's privacy notice (个人信息保护告知, PIPL arts. 17, 35): a Chinese default, or the operator's
own text from a file (``APP_PRIVACY_NOTICE_FILE`` with ``APP_PRIVACY_NOTICE_VERSION``).

A consent names the version it accepted; a new version is asked for again (``consents.require``). The
default's version changes whenever its text does.
"""

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from app.core.config import get_settings
from app.privacy.models import Purpose

DEFAULT_VERSION = "2026-12-01"

PURPOSES: dict[Purpose, str] = {
    Purpose.service: "绑定房屋和手机号：核对您在房屋登记信息（台账）中的身份，以便您参与问卷、方案公示意见、业主表决和竣工验收",
    Purpose.location: "监督员巡查时记录所在位置（行踪轨迹，敏感个人信息），用以证明巡查在施工现场进行",
}

DEFAULT_TEXT = """\
# 个人信息保护告知

{operator}（以下简称“我们”）运营本老旧小区改造居民参与平台。根据《中华人民共和国个人信息保护法》，\
我们在处理您的个人信息前告知如下。

## 我们处理哪些信息、为什么
- **账号**：微信 openid、昵称、经微信验证的手机号，用于登录和通知您。
- **房屋与身份**：您在房屋登记信息（台账）中的姓名、手机号、房屋与面积，用于核对您是哪套房屋的业主或住户；\
绑定房屋时您可选择由网格员当面核验身份证或不动产权证书。
- **您的参与**：问卷答卷、对设计方案的意见、表决票及回执、投诉与反馈、上传的照片。
- **监督员的位置**：志愿监督员提交巡查记录时的位置，仅在您单独同意后记录（敏感个人信息）。

## 保存多久
表决票及其核验记录按业主共同决定的法定程序保存；纸质问卷的照片在问卷结束一年后删除；登录记录、\
重复提交记录和已发送的通知按设定期限删除。

## 谁能看到
工作人员只能看到其负责范围内的信息；手机号和姓名对其他居民脱敏显示。工作人员每次查看您的完整手机号或姓名\
都会被记录，您可以在“谁查看了我的信息”中查看。公示栏只公开不含个人信息的内容。

## 您的权利
您可以查阅和下载我们持有的您的全部信息，申请更正房屋登记信息，撤回同意，或注销账号。注销后登录失效，\
微信标识、昵称和手机号从账号中删除；台账中的业主记录属于小区，予以保留；已投的表决票依法保留；\
问卷答卷和意见保留但不再与任何人关联。

## 联系我们
{contact}
"""


@dataclass(frozen=True)
class Notice:
    version: str
    text: str  # Markdown
    purposes: dict[Purpose, str]


@lru_cache
def current() -> Notice:
    """The notice in force: the operator's file when one is set, else the default."""
    settings = get_settings()
    if settings.privacy_notice_file is not None:
        assert settings.privacy_notice_version is not None  # the settings refuse a file without a version
        return Notice(settings.privacy_notice_version, Path(settings.privacy_notice_file).read_text("utf-8"),
                      PURPOSES)
    text = DEFAULT_TEXT.format(operator=settings.privacy_operator,
                               contact=settings.privacy_contact or "请联系您所在社区的居委会或网格员。")
    return Notice(DEFAULT_VERSION, text, PURPOSES)
