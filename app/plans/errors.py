"""Error codes of design plans. ``{starts}``, ``{ends}`` and ``{days}`` are filled from the details."""

from app.core.errors import define

PLAN_NOT_DRAFT = define("plan_not_draft", 409, "方案已发布，不能修改；请在其上修订出新版本",
                        "A published plan version cannot change; revise it into a new version")
PLAN_EXISTS = define("plan_exists", 409, "本项目已有方案，请在最新版本上修订",
                     "The project already has a plan: revise its latest version")
PLAN_DRAFT_EXISTS = define("plan_draft_exists", 409, "本项目已有一个未发布的方案草稿",
                           "The project already has an unpublished draft")
PLAN_NOT_LATEST = define("plan_not_latest", 409, "只能在最新发布的版本上修订", "Only the latest published version can be revised")
PLAN_STAGE_CLOSED = define("plan_stage_closed", 409, "项目当前阶段不能修改或发布方案",
                           "The project's stage does not allow changing or publishing the plan")
PLAN_INCOMPLETE = define("plan_incomplete", 422, "方案须有说明和至少一项改造内容才能发布",
                         "A plan needs a summary and at least one item to be published")
PLAN_ITEM_NOT_SELECTED = define("plan_item_not_selected", 422, "改造内容须是本项目已选的改造项",
                                "An item is not one of the project's selected renovation items")
NOTICE_PERIOD_TOO_SHORT = define("notice_period_too_short", 422, "公示期不得少于{days}天",
                                 "The notice period must be at least {days} days")
NOTICE_START_INVALID = define("notice_start_invalid", 422, "公示开始时间须在现在到90天之内",
                              "The notice period must start between now and 90 days from now")
NOTICE_PERIOD_TOO_LONG = define("notice_period_too_long", 422, "公示期不得超过365天",
                                "The notice period cannot be longer than 365 days")
OPINION_IDS_UNKNOWN = define("opinion_ids_unknown", 422, "所答复的意见不属于本方案的早前版本",
                             "An answered opinion is not an opinion on an earlier version of this plan")
PLAN_NOT_PUBLISHED = define("plan_not_published", 409, "方案尚未发布，发布后才能提出意见",
                            "The plan is not published yet: opinions are taken once it is")
PLAN_SUPERSEDED = define("plan_superseded", 409, "该版本已被新版本替代，请对最新版本提出意见",
                         "This version was superseded: comment on the latest one")
NOTICE_NOT_STARTED = define("notice_not_started", 409, "公示期于{starts}（北京时间）开始，届时可以提出意见",
                            "The notice period starts on {starts} (Beijing time); opinions are taken from then")
NOTICE_PERIOD_OVER = define("notice_period_over", 409, "公示期已于{ends}（北京时间）结束，不再受理意见",
                            "The notice period ended on {ends} (Beijing time); opinions are no longer taken")
OPINION_ITEM_UNKNOWN = define("opinion_item_unknown", 422, "该方案中没有这项改造内容", "The plan has no such item")
NOT_A_RESIDENT_HERE = define("not_a_resident_here", 403, "您在本小区没有已认证的房屋，不能提出意见",
                             "You have no verified unit in this estate")
PROXY_NOT_ALLOWED = define("plan_proxy_not_allowed", 403, "只有网格员或社区工作人员可以代为提出意见",
                           "Only grid workers and staff may enter an opinion for a household")
REPLY_STATUS_INVALID = define("reply_status_invalid", 422, "答复须选择采纳、部分采纳、不予采纳或已知悉",
                              "A reply needs a status: adopted, partially adopted, not adopted or noted")
