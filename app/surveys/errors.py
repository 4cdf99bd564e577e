"""Error codes of questionnaires, and the messages of the problems a response can have."""

from app.core.errors import define
from app.core.i18n import Text

QUESTIONNAIRE_INVALID = define("questionnaire_invalid", 422, "问卷内容有误", "The questionnaire is not coherent")
QUESTIONNAIRE_NOT_DRAFT = define("questionnaire_not_draft", 409, "问卷已发布，不能修改；请另建新版本",
                                 "A published questionnaire cannot change; make a new version")
QUESTIONNAIRE_NOT_OPEN = define("questionnaire_not_open", 409, "问卷不在填写期内", "The questionnaire is not open")
QUESTIONNAIRE_CLOSES_IN_PAST = define("questionnaire_closes_in_past", 422, "截止时间须晚于现在",
                                      "The closing time must be in the future")
BUILDING_NOT_IN_ESTATE = define("building_not_in_estate", 422, "所选楼栋不属于本小区",
                                "A building is not in the project's estate")
MENU_ITEM_UNKNOWN = define("menu_item_unknown", 422, "选项不是改造菜单中的内容",
                           "An option is not an item of the renovation menu")
ANSWERS_INVALID = define("answers_invalid", 422, "答卷有误，请检查后再提交", "The answers are not valid")
RESPONSE_CONFLICT = define("response_conflict", 409, "该答卷编号已提交过不同的内容",
                           "This response id was already sent with other content")
UNIT_OUTSIDE_QUESTIONNAIRE = define("unit_outside_questionnaire", 422, "该户不在本次调查范围内",
                                    "The unit is not in the questionnaire's scope")
OWNERS_ONLY = define("questionnaire_owners_only", 403, "本问卷仅限业主填写", "Only owners answer this questionnaire")
PROXY_NOT_ALLOWED = define("proxy_not_allowed", 403, "只有网格员或社区工作人员可以代填",
                           "Only grid workers and staff may answer for a household")
EVIDENCE_INVALID = define("evidence_invalid", 422, "附件不存在或无权使用", "An attached file does not exist or is not yours")
ANSWERED_AT_INVALID = define("answered_at_invalid", 422, "填写时间不能晚于现在或早于问卷发布",
                             "The answer time cannot be in the future or before the questionnaire was published")
RESULTS_NOT_PUBLIC = define("results_not_public", 403, "问卷结束后公布结果", "Results are shown after the questionnaire closes")
EXPORT_NOT_READY = define("questionnaire_export_not_ready", 409, "导出文件尚未生成完毕，请稍后再下载",
                          "The export is not ready yet; download it once its status is done")
EXPORT_GONE = define("questionnaire_export_gone", 410, "导出文件已不存在，请重新发起导出",
                     "The export's file is gone; request the export again")
# Never an HTTP answer: the ``error`` of an export the worker could not finish (details: what went wrong).
EXPORT_FAILED = define("questionnaire_export_failed", 500, "导出文件生成失败，请重新发起导出",
                       "The export could not be made; request it again")

# What check_answers (logic.py) finds, as the resident reads it.
PROBLEM_TEXTS: dict[str, Text] = {
    "unknown_question": Text("问卷中没有这道题", "There is no such question"),
    "duplicate_answer": Text("同一题只能回答一次", "A question is answered once"),
    "hidden_question_answered": Text("根据前面的回答，这道题不需要回答", "This question is not asked after the earlier answers"),
    "required": Text("这道题必须回答", "This question must be answered"),
    "invalid_type": Text("回答的格式不对", "The answer has the wrong form"),
    "invalid_option": Text("选项 {value} 不存在", "There is no option {value}"),
    "duplicate_option": Text("同一选项不能重复", "An option is chosen twice"),
    "too_few": Text("至少选择{min}项", "Choose at least {min}"),
    "too_many": Text("最多选择{max}项", "Choose at most {max}"),
    "too_long": Text("最多{max}个字", "At most {max} characters"),
    "out_of_range": Text("数值须在{min}到{max}之间", "The number must be between {min} and {max}"),
    "precision": Text("最多{decimals}位小数", "At most {decimals} decimal places"),
}
