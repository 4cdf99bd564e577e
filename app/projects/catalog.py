"""The national renovation menu: three classes with stable item codes (国办发〔2020〕23号).

Migration 0002 inserts the same rows; codes are an API contract and never change meaning.
"""

from app.projects.models import RenovationCategory

# (code, category, Chinese name, description)
MENU: list[tuple[str, RenovationCategory, str, str]] = [
    ("basic.water_supply", RenovationCategory.basic, "供水设施改造", "供水管网、二次供水设施更新"),
    ("basic.drainage", RenovationCategory.basic, "排水设施改造", "排水管网疏通与更新"),
    ("basic.rain_sewage_separation", RenovationCategory.basic, "雨污分流改造", "雨水、污水管网分流"),
    ("basic.power", RenovationCategory.basic, "供电设施改造", "供配电线路与设施更新"),
    ("basic.gas", RenovationCategory.basic, "燃气管道改造", "燃气管道更新与入户改造"),
    ("basic.roads", RenovationCategory.basic, "小区道路改造", "道路、路面与排水沟修复"),
    ("basic.roof_waterproofing", RenovationCategory.basic, "屋面防水", "屋面防水层与保温修缮"),
    ("basic.fire_safety", RenovationCategory.basic, "消防设施改造", "消防通道、消防栓与灭火设施"),
    ("basic.cabling", RenovationCategory.basic, "弱电线缆规整", "通信、有线电视等架空线缆规整入地"),
    ("basic.stairwell", RenovationCategory.basic, "楼道修缮", "楼道墙面、扶手、照明修缮"),
    ("improvement.elevator", RenovationCategory.improvement, "加装电梯", "既有住宅加装电梯"),
    ("improvement.parking", RenovationCategory.improvement, "停车设施", "停车位规划与停车设施"),
    ("improvement.ev_charging", RenovationCategory.improvement, "充电设施", "电动汽车、电动自行车充电设施"),
    ("improvement.lighting", RenovationCategory.improvement, "照明设施", "公共区域照明"),
    ("improvement.greening", RenovationCategory.improvement, "绿化改造", "绿地、植被与景观"),
    ("improvement.barrier_free", RenovationCategory.improvement, "无障碍设施", "坡道、扶手等无障碍及适老化设施"),
    ("improvement.property_rooms", RenovationCategory.improvement, "物业用房", "物业管理与服务用房"),
    ("improvement.security", RenovationCategory.improvement, "安防设施", "监控、门禁等智能安防"),
    ("improvement.waste_sorting", RenovationCategory.improvement, "垃圾分类设施", "垃圾分类收集点"),
    ("upgrade.elderly_care", RenovationCategory.upgrade, "养老服务设施", "社区养老、助餐服务设施"),
    ("upgrade.child_care", RenovationCategory.upgrade, "托育服务设施", "婴幼儿照护服务设施"),
    ("upgrade.shops", RenovationCategory.upgrade, "便民商业设施", "便利店、菜店等便民服务"),
    ("upgrade.culture_sports", RenovationCategory.upgrade, "文化体育设施", "文化活动室与健身场地"),
    ("upgrade.community_service", RenovationCategory.upgrade, "社区综合服务设施", "社区服务站与公共空间"),
]
