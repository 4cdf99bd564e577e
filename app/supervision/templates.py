"""The default inspection checklists, per category; a street may keep its own (``ChecklistTemplate``)."""

from app.supervision.rules import Category

DEFAULTS: dict[Category, list[tuple[str, str]]] = {
    Category.progress: [
        ("schedule", "施工进度与计划一致"),
        ("notice", "施工公示牌信息完整（工期、负责人、监督电话）"),
        ("workforce", "现场人员、机械到位"),
    ],
    Category.quality: [
        ("materials", "进场材料有合格证明，与方案一致"),
        ("waterproof", "屋面防水层铺设平整、搭接到位"),
        ("pipes", "管线敷设规范，接口无渗漏"),
        ("finish", "墙面、路面施工平整，无空鼓开裂"),
    ],
    Category.safety: [
        ("fence", "施工区域围挡封闭，警示标志齐全"),
        ("scaffold", "脚手架搭设牢固，有验收标识"),
        ("helmet", "作业人员佩戴安全帽，高处作业系安全带"),
        ("electric", "临时用电规范，无私拉乱接"),
        ("passage", "居民通行通道畅通、安全"),
    ],
    Category.civilised: [
        ("dust", "扬尘控制：覆盖、洒水到位"),
        ("noise", "夜间（22:00-6:00）无噪声施工"),
        ("waste", "建筑垃圾及时清运，不占用消防通道"),
        ("tidy", "材料堆放整齐，完工场地清洁"),
    ],
    Category.other: [],
}
