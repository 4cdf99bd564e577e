"""Error codes of voting."""

from app.core.errors import define

BALLOT_INVALID = define("ballot_invalid", 422, "表决设置有误", "The ballot is not coherent")
BALLOT_NOT_DRAFT = define("ballot_not_draft", 409, "表决已开始，不能修改", "The ballot has opened and cannot change")
BALLOT_NOT_OPEN = define("ballot_not_open", 409, "表决尚未开始", "The ballot is not open yet")
BALLOT_CLOSED = define("ballot_closed", 409, "表决已结束", "The ballot is closed")
SCOPE_NOT_IN_ESTATE = define("scope_not_in_estate", 422, "所选楼栋或单元不属于本小区",
                             "A building or entrance is not in the project's estate")
NOT_AN_OWNER = define("not_an_owner", 403, "只有业主可以参加表决", "Only owners vote")
NOT_IN_ELECTORATE = define("not_in_electorate", 403, "您的房屋不在本次表决范围内", "Your units are not in the ballot's scope")
ALREADY_VOTED = define("already_voted", 409, "本户已投票，本次表决不允许修改", "This vote was already cast and cannot be changed")
CHOICES_INVALID = define("choices_invalid", 422, "请对每一个表决事项选择同意、反对或弃权",
                         "Choose approve, oppose or abstain on every motion")
RESULTS_NOT_PUBLIC = define("ballot_results_not_public", 403, "表决结束后公布结果", "Results are shown after the ballot closes")
RECEIPTS_NOT_PUBLIC = define("receipts_not_public", 403, "表决结束后公布回执码", "Receipt codes are published after the ballot closes")
VOTER_NOT_FOUND = define("voter_not_found", 404, "没有找到这一户的表决权（或不在您负责的网格内）",
                         "No such voter in this ballot, or not in your grid")

# the procedure (docs/ballot-procedure.md)
ANNOUNCEMENT_INVALID = define("announcement_invalid", 422, "表决公告不符合程序要求",
                              "The announcement does not meet the procedure")
PROCEDURE_NOT_MET = define("procedure_not_met", 409, "项目当前阶段或方案版本不允许进行此表决",
                           "The project's stage or plan version does not allow this ballot now")
BALLOT_NOT_ANNOUNCED = define("ballot_not_announced", 409, "表决尚未公告", "The ballot has not been announced")
BALLOT_NOT_DUE = define("ballot_not_due", 409, "尚未到表决开始时间（{opens_at}）", "The ballot opens at {opens_at}")
CORRECTIONS_UNANSWERED = define("corrections_unanswered", 409, "尚有{count}件选民名册更正申请未答复，答复后方可开始表决",
                                "{count} electorate corrections are still unanswered")
BALLOT_NOT_CANCELLABLE = define("ballot_not_cancellable", 409, "表决结果已确定或已取消，不能取消",
                                "The ballot's result is final or it was cancelled already")
CORRECTIONS_CLOSED = define("corrections_closed", 409, "只有在表决公告后、开始表决前可以申请更正选民名册",
                            "Corrections are filed between the announcement and the opening")
NOT_A_RESIDENT_IN_SCOPE = define("not_a_resident_in_scope", 403, "只有本次表决范围内已绑定房屋的住户可以查看和申请更正",
                                 "Only residents bound to a unit in the ballot's scope may do this")
UNIT_NOT_IN_BALLOT = define("unit_not_in_ballot", 422, "该房屋不在本次表决范围内", "That unit is not in the ballot's scope")
CORRECTION_ALREADY_ANSWERED = define("correction_already_answered", 409, "该更正申请已答复",
                                     "The correction was answered already")
OBJECTIONS_CLOSED = define("objections_closed", 409, "只有在初步结果公布后的异议期内可以提出异议",
                           "Objections are filed in the window after the preliminary result")
OBJECTION_ALREADY_ANSWERED = define("objection_already_answered", 409, "该异议已答复", "The objection was answered already")
RECOUNT_NOT_CLOSED = define("recount_not_closed", 409, "表决结束后方可复核计票", "A recount needs a closed ballot")
ASSURANCE_TOO_LOW = define("assurance_too_low", 403,
                           "本次网上表决要求更高的身份核验：请绑定微信手机号，或请网格员上门核验身份证件；"
                           "也可以通过网格员提交书面表决票",
                           "This ballot's online vote needs a stronger identity check: bind your WeChat phone or "
                           "ask your grid worker to check your ID in person; or vote on paper through your grid worker")
DELIVERY_PHOTO_REQUIRED = define("delivery_photo_required", 422, "张贴公告需附现场照片",
                                 "A posted notice needs a photo")
ELECTORATE_FROZEN = define("electorate_frozen", 409, "表决已开始，选民名册已确定", "The ballot has opened: its electorate is frozen")
NOT_YET_FINAL = define("ballot_not_yet_final", 409, "结果尚不能生效：异议期至{until}（北京时间），尚有{unanswered}件异议未答复",
                       "The result cannot be final yet: objections are heard until {until} (Beijing time); "
                       "{unanswered} unanswered")
BALLOT_NOT_CLOSED = define("ballot_not_closed", 409, "表决尚未结束", "The ballot has not closed")
BALLOT_ALREADY_FINAL = define("ballot_already_final", 409, "表决结果已生效", "The ballot's result is final already")
