"""国民经济行业分类 (GB/T 4754-2017): its 20 门类 (sections, A–T) and 97 大类 (divisions, 01–97).

An enterprise records its 大类; the 门类 follows from it. Policies name either.
"""

SECTIONS: dict[str, str] = {
    "A": "农、林、牧、渔业", "B": "采矿业", "C": "制造业", "D": "电力、热力、燃气及水生产和供应业",
    "E": "建筑业", "F": "批发和零售业", "G": "交通运输、仓储和邮政业", "H": "住宿和餐饮业",
    "I": "信息传输、软件和信息技术服务业", "J": "金融业", "K": "房地产业", "L": "租赁和商务服务业",
    "M": "科学研究和技术服务业", "N": "水利、环境和公共设施管理业", "O": "居民服务、修理和其他服务业",
    "P": "教育", "Q": "卫生和社会工作", "R": "文化、体育和娱乐业", "S": "公共管理、社会保障和社会组织",
    "T": "国际组织",
}

# The first division of each section (divisions are numbered consecutively through the sections).
_FIRST = {"A": 1, "B": 6, "C": 13, "D": 44, "E": 47, "F": 51, "G": 53, "H": 61, "I": 63, "J": 66, "K": 70,
          "L": 71, "M": 73, "N": 76, "O": 80, "P": 83, "Q": 84, "R": 86, "S": 91, "T": 97}

DIVISIONS: dict[str, str] = {f"{n:02d}": name for n, name in enumerate([
    "农业", "林业", "畜牧业", "渔业", "农、林、牧、渔专业及辅助性活动",
    "煤炭开采和洗选业", "石油和天然气开采业", "黑色金属矿采选业", "有色金属矿采选业", "非金属矿采选业",
    "开采专业及辅助性活动", "其他采矿业",
    "农副食品加工业", "食品制造业", "酒、饮料和精制茶制造业", "烟草制品业", "纺织业", "纺织服装、服饰业",
    "皮革、毛皮、羽毛及其制品和制鞋业", "木材加工和木、竹、藤、棕、草制品业", "家具制造业", "造纸和纸制品业",
    "印刷和记录媒介复制业", "文教、工美、体育和娱乐用品制造业", "石油、煤炭及其他燃料加工业",
    "化学原料和化学制品制造业", "医药制造业", "化学纤维制造业", "橡胶和塑料制品业", "非金属矿物制品业",
    "黑色金属冶炼和压延加工业", "有色金属冶炼和压延加工业", "金属制品业", "通用设备制造业", "专用设备制造业",
    "汽车制造业", "铁路、船舶、航空航天和其他运输设备制造业", "电气机械和器材制造业",
    "计算机、通信和其他电子设备制造业", "仪器仪表制造业", "其他制造业", "废弃资源综合利用业",
    "金属制品、机械和设备修理业",
    "电力、热力生产和供应业", "燃气生产和供应业", "水的生产和供应业",
    "房屋建筑业", "土木工程建筑业", "建筑安装业", "建筑装饰、装修和其他建筑业",
    "批发业", "零售业",
    "铁路运输业", "道路运输业", "水上运输业", "航空运输业", "管道运输业", "多式联运和运输代理业",
    "装卸搬运和仓储业", "邮政业",
    "住宿业", "餐饮业",
    "电信、广播电视和卫星传输服务", "互联网和相关服务", "软件和信息技术服务业",
    "货币金融服务", "资本市场服务", "保险业", "其他金融业",
    "房地产业",
    "租赁业", "商务服务业",
    "研究和试验发展", "专业技术服务业", "科技推广和应用服务业",
    "水利管理业", "生态保护和环境治理业", "公共设施管理业", "土地管理业",
    "居民服务业", "机动车、电子产品和日用产品修理业", "其他服务业",
    "教育",
    "卫生", "社会工作",
    "新闻和出版业", "广播、电视、电影和录音制作业", "文化艺术业", "体育", "娱乐业",
    "中国共产党机关", "国家机构", "人民政协、民主党派", "社会保障", "群众团体、社会团体和其他成员组织",
    "基层群众自治组织及其他组织",
    "国际组织",
], start=1)}

_BY_NAME = {name: code for code, name in DIVISIONS.items()}


def section_of(division: str) -> str:
    """The 门类 letter of a 大类 code ("39" → "C"); "" for an unknown code."""
    if division not in DIVISIONS:
        return ""
    number = int(division)
    return max((first, letter) for letter, first in _FIRST.items() if first <= number)[1]


def label(division: str) -> str:
    """"C 制造业 · 39 计算机、通信和其他电子设备制造业"."""
    section = section_of(division)
    if not section:
        return division
    return f"{section} {SECTIONS[section]} · {division} {DIVISIONS[division]}"


def parse_division(text: str) -> str | None:
    """A 大类 from what people write in a spreadsheet: "39", "3", "39 计算机、通信和其他电子设备制造业", or the
    name alone. None if it is not one."""
    text = (text or "").strip()
    if not text:
        return None
    head, _, rest = text.partition(" ")
    if head.isdecimal():
        code = f"{int(head):02d}"
        if code in DIVISIONS and (not rest.strip() or rest.strip() == DIVISIONS[code]):
            return code
        return None
    return _BY_NAME.get(text)
