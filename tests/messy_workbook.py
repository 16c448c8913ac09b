"""A county's catalogue as it really arrives from a provincial platform: 四川省眉山市仁寿县 (511421), about
1,050 items of 16 departments, typed by people on Chinese keyboards. Used by the migration test, the browser
test and bench/catalog.py.

Messy on purpose: full-width punctuation and spaces in choices, colloquial labels (企业 for 法人), optional
columns missing, all-digit credit codes typed into General-format cells (stored as rounded numbers), and a
known set of bad rows (`BAD`), each planted with the errors the import must report."""

import io
from dataclasses import dataclass, field

from openpyxl import Workbook

from tongban.core.identifiers import make_uscc

COUNTY = "511421"  # 仁寿县
# (name, function, serial): serials chosen so some credit codes are all digits (the ones Excel rounds)
DEPARTMENTS = [
    ("仁寿县行政审批局", "approval", 1001), ("仁寿县市场监督管理局", "market", 1002), ("仁寿县人力资源和社会保障局", "hrss", 1007),
    ("仁寿县公安局", "police", 1008), ("仁寿县民政局", "civil", 1004), ("仁寿县卫生健康局", "health", 1005),
    ("仁寿县教育和体育局", "education", 1006), ("仁寿县住房和城乡建设局", "housing", 1009), ("仁寿县交通运输局", "transport", 1010),
    ("仁寿县自然资源局", "land", 1011), ("仁寿县农业农村局", "agri", 1012), ("仁寿县文化广播电视和旅游局", "culture", 1013),
    ("仁寿县医疗保障局", "medical", 1014), ("仁寿县退役军人事务局", "veterans", 1015), ("仁寿县应急管理局", "safety", 1016),
    ("仁寿县水利局", "water", 1017),
]
BASES = {
    "market": ["食品经营许可", "食品生产许可", "个体工商户登记", "药品零售企业经营许可", "特种设备使用登记", "小餐饮登记",
               "第二类医疗器械经营备案", "计量器具型式批准"],
    "hrss": ["城乡居民基本养老保险参保登记", "企业职工基本养老保险关系转出", "社会保险费补缴", "失业保险金申领", "就业困难人员认定",
             "职业技能等级认定", "工伤认定", "社会保障卡申领"],
    "police": ["居民身份证申领", "户口迁移", "机动车登记", "护照申领", "临时身份证明开具", "出生登记"],
    "civil": ["结婚登记", "离婚登记", "最低生活保障对象认定", "临时救助", "养老机构备案", "社会团体成立登记"],
    "health": ["医疗机构执业登记", "公共场所卫生许可", "放射诊疗许可", "母婴保健技术服务执业许可", "生活饮用水供水单位卫生许可"],
    "education": ["民办学校设立", "教师资格认定", "校外培训机构设立审批", "幼儿园设立"],
    "housing": ["建筑工程施工许可证核发", "商品房预售许可", "城镇污水排入排水管网许可", "建设工程竣工验收备案"],
    "transport": ["道路货物运输经营许可", "道路旅客运输经营许可", "出租汽车经营许可", "机动车维修经营备案"],
    "land": ["建设用地规划许可证核发", "不动产首次登记", "不动产转移登记", "乡村建设规划许可证核发"],
    "agri": ["农药经营许可", "兽药经营许可", "农村村民宅基地审批", "动物防疫条件合格证核发"],
    "culture": ["娱乐场所经营活动审批", "营业性演出审批", "出版物零售业务经营许可", "互联网上网服务营业场所经营许可"],
    "medical": ["基本医疗保险参保登记", "医疗费用手工报销", "异地就医备案", "城乡居民基本医疗保险费补缴"],
    "veterans": ["退役士兵自主就业一次性经济补助金给付", "伤残抚恤关系转移"],
    "safety": ["危险化学品经营许可", "烟花爆竹经营(零售)许可", "非药品类易制毒化学品经营备案"],
    "water": ["取水许可", "河道管理范围内建设项目工程建设方案审批", "水土保持方案审批"],
    "approval": ["企业投资项目核准", "企业投资项目备案", "户外广告设施设置审批", "城市建筑垃圾处置核准"],
}
VARIANTS = ["", "(新办)", "(变更)", "(延续)", "(注销)", "(补证)", "(换证)", "(名称变更)", "(地址变更)", "(法定代表人变更)",
            "(负责人变更)", "(增项)", "(减项)", "(遗失补办)", "(迁入)", "(迁出)", "(首次申请)", "(复审)", "(撤回)", "(更正)"]
TYPE = {"许可": "行政许可", "登记": "行政确认", "认定": "行政确认", "备案": "其他行政权力", "给付": "行政给付", "补缴": "行政征收"}
ALIASES = {"食品经营许可": "开饭店、餐饮许可证", "社会保险费补缴": "社保补缴、补交社保", "居民身份证申领": "办身份证",
           "企业职工基本养老保险关系转出": "社保转移、养老保险转出"}
ITEM_HEADER = ["区划代码", "实施主体统一社会信用代码", "实施机构", "目录管理单位码", "事项类型", "主项编码", "子项编码", "事项名称", "别名",
               "主事项", "服务对象", "办件类型", "法定时限", "承诺时限", "网办深度", "受理条件", "设定依据", "办理流程",
               "省级基本编码", "省级实施编码", "来源网址"]  # no 行使层级, 到现场次数, 通办范围, 告知承诺, 可延长: defaults apply
MATERIAL_HEADER = ["区划代码", "基本编码", "材料名称", "材料类型", "材料形式", "份数", "来源渠道"]
DEPT_HEADER = ["部门名称", "统一社会信用代码", "区划代码", "职能代码"]


def credit(serial: int) -> str:
    return make_uscc(COUNTY, serial, authority="1", kind="1")


BAD_CREDIT = credit(1003)[:-1] + ("0" if credit(1003)[-1] != "0" else "1")  # 仁寿县司法局 with a wrong check character
UNKNOWN_DIGITS = credit(1019)  # all digits, no such department: cannot be recovered from a rounded number


@dataclass
class Messy:
    workbook: Workbook
    items: int  # item rows
    bad: dict = field(default_factory=dict)  # (sheet, row) → words the error must contain
    bad_items: set = field(default_factory=set)  # item rows that must not import
    names: dict = field(default_factory=dict)  # row → item name
    placeholders: set = field(default_factory=set)  # names of items whose 设定依据 is 待补充

    def bytes(self) -> bytes:
        buf = io.BytesIO()
        self.workbook.save(buf)
        return buf.getvalue()


def build(n_items: int = 1050) -> Messy:
    wb = Workbook()
    wd = wb.active
    wd.title = "部门"
    wd.append(DEPT_HEADER)
    for name, function, serial in DEPARTMENTS:
        wd.append([name, credit(serial), COUNTY, function])
    wd.append(["仁寿县司法局", BAD_CREDIT, COUNTY, "justice"])  # row 18: bad check character
    ws = wb.create_sheet("事项")
    ws.append(ITEM_HEADER)
    wm = wb.create_sheet("材料")
    wm.append(MATERIAL_HEADER)
    messy = Messy(wb, 0)
    messy.bad[("部门", 18)] = "校验位错误"
    codes = {f: credit(s) for _, f, s in DEPARTMENTS}
    row = 1
    n = 0
    for variant in VARIANTS:
        for function, bases in BASES.items():
            for k, base in enumerate(bases):
                if n >= n_items:
                    break
                n += 1
                row += 1
                name = base + variant
                kind = next((v for w, v in TYPE.items() if w in base), "公共服务")
                code = codes[function]
                main = f"{list(BASES).index(function) * 100 + k + 1:05d}"
                sub = f"{VARIANTS.index(variant):03d}"
                cells = {
                    "区划代码": COUNTY, "实施主体统一社会信用代码": code, "实施机构": "政务服务股" if n % 3 else "",
                    "目录管理单位码": "51", "事项类型": kind, "主项编码": main, "子项编码": sub, "事项名称": name,
                    "别名": ALIASES.get(base, "") if not variant else "", "主事项": base,
                    "服务对象": ["企业", "自然人，法人", "个人", " 自然人 "][n % 4], "办件类型": ["承诺件", "即办件 "][n % 7 == 0],
                    "法定时限": 20, "承诺时限": 0 if n % 7 == 0 else 5, "网办深度": ["三级：在线预审", "四级：全程网办", "二级:在线预约、表格下载"][n % 3],
                    "受理条件": f"申请人符合《{base}》办理条件,材料齐全、符合法定形式。", "设定依据": f"《四川省{base[:4]}管理办法》",
                    "办理流程": "申请→受理→审查→决定", "省级基本编码": f"511A{int(main):05d}{sub}0{n % 10}",
                    "省级实施编码": f"{code}4{'51'}{main}{sub}", "来源网址": f"https://www.sczwfw.gov.cn/jiq/front/transition/ywTransToDetail?areaCode=511421000000&itemCode={main}{sub}",
                }
                if function in ("hrss", "medical") and code.isdigit():
                    cells["实施主体统一社会信用代码"] = float(int(code))  # General-format cell: Excel keeps 15 digits
                materials = [(f"{base}申请表", "必要", "原件", 1, "申请人自备"), ("申请人身份证明", "必要材料", "复印件", 1, "政府部门核发"),
                             ("授权委托书", "视情况提供", "原件", 1, "申请人")]
                # the planted errors, in every 113 rows, several kinds (some rows with two errors)
                plant = n % 113 if n > 5 else -1
                if plant == 1:
                    cells["承诺时限"] = 30
                    messy.bad[("事项", row)] = "不得超过法定时限"
                elif plant == 2:
                    cells["办件类型"] = "加急件"
                    cells["服务对象"] = ""
                    messy.bad[("事项", row)] = "可填:即办件 / 承诺件"
                    messy.bad[("事项", row, "服务对象")] = "服务对象不能为空,可填:自然人 / 法人 / 自然人、法人"
                elif plant == 3:
                    cells["实施主体统一社会信用代码"] = BAD_CREDIT
                    messy.bad[("事项", row)] = "校验位错误"
                elif plant == 4:
                    cells["实施主体统一社会信用代码"] = float(int(UNKNOWN_DIGITS))
                    messy.bad[("事项", row)] = "存成了数字"
                elif plant == 5:
                    cells["区划代码"] = "511499"
                    messy.bad[("事项", row)] = "不在区划代码表中"
                elif plant == 6:
                    materials.append(("无", "必要", "原件", 1, "申请人自备"))
                    messy.bad[("材料", "无", row)] = "不能为「无」"
                elif plant == 7:
                    materials.append(materials[0])
                    messy.bad[("材料", "dup", row)] = "材料重复"
                elif plant == 8:
                    cells["设定依据"] = ""
                    messy.bad[("事项", row)] = "设定依据不能为空"
                elif plant == 9:
                    cells["网办深度"] = "五级"
                    messy.bad[("事项", row)] = "可填:一级:信息公开 / 二级:在线预约、表格下载 / 三级:在线预审 / 四级:全程网办"
                elif plant == 10:
                    cells["设定依据"] = "待补充"  # a placeholder: imports as a draft, refused at publication
                    messy.placeholders.add(name)
                if plant in range(1, 10):
                    messy.bad_items.add(row)
                ws.append([cells[h] for h in ITEM_HEADER])
                messy.names[row] = name
                region = cells["区划代码"]
                for m in materials:
                    wm.append([region, f"51{_type_code(kind)}{main}{sub}", *m])
    messy.items = n
    return messy


def _type_code(label: str) -> str:
    from tongban.catalog.models import ItemType

    return next(v for v, lbl in ItemType.choices if lbl == label)


def meishan_admin(username="ms_admin"):
    """A system administrator of 眉山市 (四川省): imports departments and items there."""
    from tests import factories

    user = factories.grant(factories.UserFactory(username=username, display_name="罗晓梅", is_staff=True), "system_admin", region_code="511400")
    return user
