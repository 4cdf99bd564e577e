"""Error codes of projects: the lifecycle, items, progress and linked organisations."""

from app.core.errors import define

TRANSITION_NOT_ALLOWED = define("transition_not_allowed", 409, "项目当前不能进入该阶段",
                                "The project cannot move to this stage now")
PROJECT_ITEMS_LOCKED = define("project_items_locked", 409, "项目已进入公示或之后的阶段，改造内容不能再修改",
                              "The renovation items can no longer be changed at this stage")
PROJECT_ITEM_HAS_PROGRESS = define("project_item_has_progress", 409, "已有进度记录的改造内容不能移除",
                                   "An item with recorded progress cannot be removed")
RENOVATION_ITEM_UNKNOWN = define("renovation_item_unknown", 422, "改造内容不在改造菜单中", "Unknown renovation menu item")
RENOVATION_ITEM_DUPLICATE = define("renovation_item_duplicate", 422, "同一改造内容重复选择",
                                   "A renovation item is listed twice")
PROJECT_NOT_CONSTRUCTING = define("project_not_constructing", 409, "项目不在施工阶段，不能更新进度",
                                  "Progress can only be reported during construction")
ORGANIZATION_UNKNOWN = define("organization_unknown", 422, "单位不存在", "The organisation does not exist")
ORGANIZATION_ALREADY_LINKED = define("organization_already_linked", 409, "该单位已以此身份参与项目",
                                     "The organisation already has this role in the project")
CONTRACTOR_REQUIRED = define("contractor_required", 409,
                             "项目开工后必须保留施工单位：请先关联新的施工单位，再移除原单位",
                             "Once construction has started the project must keep a contractor: link the new one first")
ORGANIZATION_OUTSIDE_STREET = define("organization_outside_street", 422, "该单位属于其他街道，不能参与本街道的项目",
                                     "The organisation belongs to another street and cannot work on this project")
