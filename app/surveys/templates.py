"""Questionnaire templates staff start from: the renovation needs survey (改造需求调查), built from the
renovation menu, and the satisfaction survey (满意度调查) after acceptance."""

from typing import Any

from app.projects import reads as projects


def _choice(qid: str, title: str, options: list[tuple[str, str]], **extra: Any) -> dict[str, Any]:
    return {"id": qid, "type": "single_choice", "title": title,
            "options": [{"value": v, "label": label} for v, label in options], **extra}


def _rating(qid: str, title: str, **extra: Any) -> dict[str, Any]:
    return {"id": qid, "type": "rating", "title": title, "min": 1, "max": 5, "min_label": "很不满意",
            "max_label": "很满意", **extra}


def renovation_needs() -> dict[str, Any]:
    return {
        "title": "老旧小区改造需求调查",
        "description": "为做好本小区改造，请每户填写一份。您的意见将作为改造方案设计的依据。",
        "audience": "residents",
        "questions": [
            {"id": "household", "type": "number", "title": "您家常住人口", "min": 0, "max": 20, "unit": "人",
             "required": True},
            _choice("elderly", "家中是否有65岁以上老人", [("yes", "有"), ("no", "没有")], required=True),
            {"id": "items", "type": "renovation_items", "title": "您最希望改造哪些内容（最多选5项）",
             "options": [{"value": m.code, "label": m.name} for m in projects.menu()],
             "min_choices": 1, "max_choices": 5, "required": True},
            _choice("elevator", "您是否支持加装电梯", [("support", "支持"), ("oppose", "不支持"), ("neutral", "无所谓")],
                    show_if={"question_id": "items", "op": "equals", "value": "improvement.elevator"},
                    required=True),
            _choice("contribute", "您是否愿意为改造出资", [("yes", "愿意"), ("depends", "视情况而定"), ("no", "不愿意")]),
            {"id": "other", "type": "text", "title": "其他意见和建议", "max_length": 500},
        ],
    }


def satisfaction() -> dict[str, Any]:
    return {
        "title": "老旧小区改造满意度调查",
        "description": "改造已完工，请对改造效果作出评价。",
        "audience": "residents",
        "questions": [
            _rating("overall", "您对本次改造的总体满意度", required=True),
            _rating("quality", "您对工程质量的满意度", required=True),
            _rating("conduct", "您对施工期间文明施工的满意度"),
            {"id": "unhappy", "type": "multiple_choice", "title": "您不满意的方面（可多选）",
             "options": [{"value": v, "label": label} for v, label in (
                 ("quality", "工程质量"), ("schedule", "施工进度"), ("noise", "噪音扬尘"),
                 ("communication", "沟通公示"), ("maintenance", "后续维护"))],
             "show_if": {"question_id": "overall", "op": "in", "values": [1, 2]}, "required": True},
            {"id": "other", "type": "text", "title": "其他意见和建议", "max_length": 500},
        ],
    }


TEMPLATES = {"renovation_needs": renovation_needs, "satisfaction": satisfaction}
