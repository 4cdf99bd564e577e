"""Error codes of supervision."""

from app.core.errors import define

INSPECTION_CONFLICT = define("inspection_conflict", 409, "该巡查记录编号已用于另一份内容不同的记录",
                             "This inspection id was already used for other content")
INSPECTION_INVALID = define("inspection_invalid", 422, "巡查记录有误", "The inspection report is not coherent")
OCCURRED_AT_INVALID = define("occurred_at_invalid", 422, "巡查时间不能晚于当前时间", "occurred_at is in the future")
SUPERVISOR_CONFLICT = define("supervisor_conflict_of_interest", 409, "施工或设计单位的人员不能担任本项目的监督员",
                             "Staff of the project's contractor or designer cannot supervise it")
NOT_A_CONTRACTOR = define("organization_not_contractor", 422, "该单位不是本项目的施工单位",
                          "The organisation is not the project's contractor")
ORDER_SOURCE_INVALID = define("rectification_source_invalid", 422, "整改来源有误：须为本项目巡查中不合格的检查项",
                              "The source must be a failed checklist item of an inspection of this project")
ORDER_STEP_REFUSED = define("rectification_step_refused", 409, "整改单当前状态为「{status}」，不能进行此操作",
                            "The order is {status}: this step is not possible now")
REASON_REQUIRED = define("rectification_reason_required", 422, "退回整改时须说明仍存在的问题",
                         "Say what is still wrong (note) when rejecting a response")
DUE_AT_INVALID = define("due_at_invalid", 422, "整改期限须晚于当前时间", "due_at must be in the future")
FEEDBACK_TRIAGED = define("feedback_already_triaged", 409, "该反映已处理", "This complaint was already dealt with")
NOT_A_RESIDENT = define("not_a_resident", 403, "只有本小区的居民可以反映问题", "Only residents of the estate file complaints")
CHECKLIST_INVALID = define("checklist_invalid", 422, "检查表有误：每一项的编码须唯一", "Each checklist item's code once")
