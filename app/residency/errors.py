"""Error codes of unit bindings and invitation codes."""

from app.core.errors import define

BINDING_EXISTS = define("binding_exists", 409, "已提交过该房屋的绑定申请", "You already asked to bind this unit")
BINDING_ALREADY_DECIDED = define("binding_already_decided", 409, "该绑定申请已处理",
                                 "This binding request was already decided")
INVITE_CODE_INVALID = define("invite_code_invalid", 400, "邀请码无效或已过期", "The invitation code is invalid or expired")
BINDING_TARGET_REQUIRED = define("binding_target_required", 422, "请提供房屋或邀请码", "Give a unit or an invitation code")
BINDING_SELF_DECISION = define("binding_self_decision", 403, "不能审批自己的绑定申请",
                               "You cannot decide your own binding request")
BINDING_SELF_BENEFIT = define("binding_self_benefit", 403, "发放邀请码、更正登记信息或审批的工作人员本人不能绑定为该住户",
                              "Whoever issued the code, corrected the record or decides cannot be the one bound")
PERSON_ALREADY_BOUND = define("person_already_bound", 409, "登记信息中的该人员已绑定其他账号",
                              "This person on the unit's record is already bound to another account")
BINDING_PERSON_REQUIRED = define("binding_person_required", 422, "请选择房屋登记信息中的具体人员",
                                 "Name the person on the unit's record")
BINDING_PERSON_NOT_ON_RECORD = define("binding_person_not_on_record", 422, "该人员不在此房屋的登记信息中",
                                      "That person is not on this unit's record")
INVITE_CODE_THROTTLED = define("invite_code_throttled", 429, "邀请码输入错误次数过多，请稍后再试",
                               "Too many wrong invitation codes; try again later")
FAMILY_INVITE_NOT_ALLOWED = define("family_invite_not_allowed", 403, "只有已绑定的业主或共有人可以邀请家人",
                                   "Only a bound owner or co-owner may invite family")
INVITE_CODE_UNAVAILABLE = define("invite_code_unavailable", 503, "暂时无法生成邀请码，请稍后再试",
                                 "No invitation code could be generated; try again")

# identity assurance (docs/ballot-procedure.md)
BINDING_NOT_APPROVED = define("binding_not_approved", 409, "该房屋绑定尚未通过审核", "The binding is not approved")
IDENTITY_CHECK_SELF = define("identity_check_self", 403, "不能核验自己或自己创建的账号的身份",
                             "You cannot check your own identity, nor an account you created")
REALNAME_FAILED = define("realname_failed", 422, "实名核验未通过", "The real-name check did not pass")
REALNAME_MISMATCH = define("realname_mismatch", 422, "实名核验的姓名与房屋登记信息不一致，请联系网格员",
                           "The verified name differs from the unit's record; ask your grid worker")
REALNAME_UNAVAILABLE = define("realname_unavailable", 503, "实名核验服务暂不可用，请稍后再试或请网格员上门核验",
                              "The real-name service is unavailable; try later or ask your grid worker")

# personal information (docs/personal-information.md)
CORRECTION_ALREADY_ANSWERED = define("record_correction_decided", 409, "该更正申请已处理",
                                     "This correction request was already answered")
CORRECTION_SELF_DECISION = define("record_correction_self", 403, "不能处理自己提交的更正申请",
                                  "You cannot answer your own correction request")
CORRECTION_NOT_ON_RECORD = define("record_correction_stale", 409, "该人员已不在此房屋的登记信息中，请重新提交",
                                  "That person is no longer on the unit's record; ask again")
