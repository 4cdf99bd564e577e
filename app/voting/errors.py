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
