"""The ledger format (台账) shared by import and export: Chinese column headers and cell normalisation.

Pure: no database, no FastAPI.
"""

import re
from datetime import date, datetime

BUILDING = "楼栋"
ENTRANCE = "单元"
FLOOR = "楼层"
ROOM = "房号"
AREA = "建筑面积(㎡)"
OWNER = "业主姓名"
PHONE = "联系电话"
CO_OWNERS = "共有人"
NOTE = "备注"

HEADERS = [BUILDING, ENTRANCE, FLOOR, ROOM, AREA, OWNER, PHONE, CO_OWNERS, NOTE]
REQUIRED_COLUMNS = [BUILDING, ENTRANCE, FLOOR, ROOM, AREA]

# Variants staff actually type, after _header_key() has folded width, case and spacing.
_ALIASES: dict[str, str] = {
    **{k: BUILDING for k in ("楼栋", "楼号", "栋号", "楼栋号", "栋")},
    **{k: ENTRANCE for k in ("单元", "单元号")},
    **{k: FLOOR for k in ("楼层", "层", "所在楼层", "层数")},
    **{k: ROOM for k in ("房号", "房间号", "门牌号", "户号", "室号")},
    **{k: OWNER for k in ("业主姓名", "业主", "业主名称", "产权人", "产权人姓名")},
    **{k: PHONE for k in ("联系电话", "电话", "手机", "手机号", "手机号码", "联系方式", "业主电话")},
    **{k: CO_OWNERS for k in ("共有人", "共有权人", "共同共有人")},
    **{k: NOTE for k in ("备注", "说明")},
}
_AREA_RE = re.compile(r"^(建筑面积|面积|房屋面积|产权面积)(\((㎡|m2|m²|平方米|平米)\))?$")

_FULLWIDTH = str.maketrans({"（": "(", "）": ")", "　": " ", "Ｍ": "m", "ｍ": "m", "２": "2"})


def _header_key(raw: str) -> str:
    return re.sub(r"\s+", "", raw.replace("\ufeff", "").translate(_FULLWIDTH)).lower()


def canonical_header(raw: str) -> str | None:
    """The ledger column a header cell names, or None for columns we do not read."""
    key = _header_key(raw)
    if _AREA_RE.match(key):
        return AREA
    return _ALIASES.get(key)


_CO_OWNER_SPLIT = re.compile(r"[、，,;；/\s]+")
# "薛红(13800001111)" / "薛红（138 0000 1111）": a co-owner's phone rides in parentheses after the name.
_PHONE_IN_PARENS = re.compile(r"\s*[（(]\s*([\d\s-]+?)\s*[)）]")
_NAME_AND_PHONE = re.compile(r"(.+?)\((\d+)\)")


def split_co_owners(text: str) -> list[tuple[str, str | None]]:
    """The 共有人 cell as (name, phone or None) pairs, in the cell's order."""
    text = _PHONE_IN_PARENS.sub(lambda m: "(" + re.sub(r"[\s-]", "", m.group(1)) + ")", text)
    pairs: list[tuple[str, str | None]] = []
    for token in _CO_OWNER_SPLIT.split(text):
        if not token:
            continue
        match = _NAME_AND_PHONE.fullmatch(token)
        pairs.append((match.group(1), match.group(2)) if match else (token, None))
    return pairs


def format_co_owners(pairs: list[tuple[str, str | None]]) -> str:
    """The inverse of ``split_co_owners``."""
    return "、".join(f"{name}({phone})" if phone else name for name, phone in pairs)


# A CSV cell starting with one of these is a formula to Excel and LibreOffice (CSV injection, OWASP).


def cell_text(value: object) -> str:
    """A cell as the text a person sees: Excel numbers 3.0 -> "3", 13184986729 -> "13184986729"."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)  # repr: shortest exact form
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value).replace("\ufeff", "").strip()
