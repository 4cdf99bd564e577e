"""Error codes of the estate registry (台账)."""

from app.core.errors import define

DUPLICATE_NAME = define("duplicate_name", 409, "同名记录已存在", "A record with this name already exists")
GRID_BUILDING_OUTSIDE = define("grid_building_outside", 422, "楼栋不属于该网格所在社区",
                               "The building is outside the grid's community")
IMPORT_FILE_INVALID = define("import_file_invalid", 422, "无法读取台账文件", "The ledger file cannot be read")
IMPORT_HEADER_MISSING = define("import_header_missing", 422, "台账缺少必需的列", "The ledger lacks required columns")
UNIT_EXISTS = define("unit_exists", 409, "该房屋已存在", "This unit already exists")
ENTRANCE_OUTSIDE_BUILDING = define("entrance_outside_building", 422, "该单元不属于此楼栋",
                                   "The entrance is not in this building")
IMPORT_TOO_LARGE = define("import_too_large", 413, "台账内容过大，请拆分后分批导入",
                          "The ledger is too large; split it and import the parts")
ORGANIZATION_STREET_REQUIRED = define("organization_street_required", 422, "请指定单位所属的街道（须为您所在的街道）",
                                      "Give the organisation's street (one of yours)")
LOOKUP_RATE_LIMITED = define("lookup_rate_limited", 429, "查询过于频繁，请稍后再试", "Too many lookups; try again later")
LOCATION_INCOMPLETE = define("location_incomplete", 422, "请同时填写纬度和经度", "Give both latitude and longitude, or neither")
