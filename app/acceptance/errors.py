"""Error codes of acceptance."""

from app.core.errors import define

ACCEPTANCE_OPEN = define("acceptance_already_open", 409, "本项目已有进行中的竣工验收",
                         "An acceptance of this project is already open")
PROJECT_NOT_READY = define("acceptance_not_possible", 409, "项目当前阶段为「{stage}」，不能发起竣工验收",
                           "The project is {stage}: acceptance cannot be opened now")
COMMITTEE_REQUIRED = define("signatories_committee_required", 422, "本小区已成立业主委员会，验收须由业主委员会签字",
                            "The estate has an owners' committee: it must sign the acceptance")
NO_COMMITTEE = define("signatories_no_committee", 422, "本小区未成立业主委员会，请改由居民代表签字",
                      "The estate has no owners' committee: residents' representatives sign instead")
REPRESENTATIVES_REQUIRED = define("signatories_representatives_required", 422,
                                  "本小区未成立业主委员会，请指定参加验收签字的居民代表（居民代表须与签字方「居民代表」一并设置）",
                                  "Without an owners' committee, name the residents' representatives who sign "
                                  "(representatives and the resident_rep role go together)")
NO_SUPERVISION_COMPANY = define("signatories_no_supervision_company", 422, "本项目没有监理单位，不能要求监理单位签字",
                                "The project has no supervision company to sign")
MANDATORY_MISSING = define("signatories_mandatory_missing", 422, "街道、社区和施工单位必须签字",
                           "The street, the community and the contractor always sign")
REPRESENTATIVE_INVALID = define("representative_not_resident", 422, "居民代表须为本小区已认证的居民",
                                "Representatives must be verified residents of the estate")
ACCEPTANCE_CLOSED = define("acceptance_closed", 409, "该验收已结束（{status}），不能再修改或签字",
                           "This acceptance is over ({status}): it cannot be changed or signed")
ITEM_UNKNOWN = define("acceptance_item_unknown", 422, "验收清单中没有该项：{code}", "No such item in the checklist: {code}")
CONTENT_CHANGED = define("acceptance_content_changed", 409, "验收记录已被修改，请重新查看后再签字",
                         "The record changed since you read it: read it again before signing")
CHECKLIST_INCOMPLETE = define("acceptance_checklist_incomplete", 409, "验收清单尚有{count}项未填写验收结论",
                              "{count} checklist item(s) have no decision yet")
ROLE_NOT_REQUIRED = define("signatory_role_not_required", 422, "本次验收不需要「{role}」签字",
                           "The role {role} does not sign this acceptance")
ROLE_NOT_HELD = define("signatory_role_not_held", 403, "您不能代表「{role}」签字", "You cannot sign for {role}")
ROLE_SIGNED = define("signatory_role_signed", 409, "「{role}」已签字", "{role} has already signed")
REASONS_REQUIRED = define("rejection_reasons_required", 422, "不同意验收时请逐条写明原因",
                          "A rejection gives its reasons, one per line")
SIGNATURE_IMAGE_INVALID = define("signature_image_invalid", 422, "手写签名须为本人上传的图片",
                                 "The handwritten signature must be an image you uploaded")
SUPERVISION_REQUIRED = define("supervision_required", 422, "本项目有监理单位，竣工验收必须由监理单位签字",
                              "The project has a supervision company: it must sign the acceptance")
