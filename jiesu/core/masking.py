"""The one masking module for personal data in text that leaves the people who need it: Open311, similar cases,
duplicates, knowledge misses, exports, and pages for roles without the personal-data permission.

`mask_text` finds phones in every form callers dictate them (+86 / 0086 prefixes, spaces, dashes, full-width
digits, landlines with area codes and extensions), 身份证 numbers (18 digits with X, and the old 15), bank
cards, e-mail addresses, and names next to 先生/女士/来电人…; `mask_phone` and `mask_name` mask one field.
It keeps the shape people recognise (138****8000, 张*) and never the whole value.
"""

import re

# Full-width digits, letters and signs map one to one onto ASCII, so positions found in the translation are the
# positions in the original text.
_HALF = str.maketrans(
    {**{chr(0xFF10 + i): str(i) for i in range(10)},
     **{chr(0xFF21 + i): chr(0x41 + i) for i in range(26)},
     **{chr(0xFF41 + i): chr(0x61 + i) for i in range(26)},
     "＋": "+", "－": "-", "（": "(", "）": ")", "＠": "@", "．": ".", "　": " ", "—": "-", "–": "-"}
)
_SEP = r"[ \-]?"
_NOT_DIGIT_BEFORE, _NOT_DIGIT_AFTER = r"(?<![0-9A-Za-z])", r"(?![0-9A-Za-z])"

_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
# 身份证: 18 digits (the last may be X) or the old 15, optionally grouped 6-8-4 by spaces.
_ID_NUMBER = re.compile(_NOT_DIGIT_BEFORE + r"(?:\d{6}[ ]?(?:\d{8}[ ]?\d{3}[\dXx]|\d{6}\d{3}))" + _NOT_DIGIT_AFTER)
# Bank cards: 16 to 19 digits, optionally in groups of four.
_CARD = re.compile(_NOT_DIGIT_BEFORE + r"(?:\d{4}[ \-]?){3}\d{4}(?:[ \-]?\d{1,3})?" + _NOT_DIGIT_AFTER)
# Mobiles: 1[3-9]x xxxx xxxx, with a country prefix and any grouping.
_MOBILE = re.compile(
    _NOT_DIGIT_BEFORE + r"(?:(?:\+|00)?86[ \-]?)?(?:\(\+?86\)[ \-]?)?1[3-9]\d(?:" + _SEP + r"\d){8}" + _NOT_DIGIT_AFTER
)
# Landlines: an area code (0 + 2-3 digits, maybe in brackets or after +86) and 7-8 digits, maybe an extension.
_LANDLINE = re.compile(
    _NOT_DIGIT_BEFORE + r"(?:(?:\+|00)?86[ \-]?)?(?:\(0?\d{2,3}\)|0\d{2,3})[ \-]?\d{3,4}[ \-]?\d{4}"
    r"(?:(?:-|转|分机)\d{1,6})?" + _NOT_DIGIT_AFTER
)
# A bare local number (7-8 digits) only where the text says it is a phone.
_LOCAL = re.compile(r"(?:电话|手机|联系方式|号码|座机|致电|拨打|打)[是为:：\s]*(\d{3,4}[ \-]?\d{4})" + _NOT_DIGIT_AFTER)

_HAN = "[\u4e00-\u9fff]"
# The commonest surnames (about nine in ten people carry one): a name is looked for only where one begins, so
# "业主大会" or "孩子的老师" after a label are left alone.
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔"
    "钟谭陆汪范金石廖贾夏韦付傅方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤常温康施文牛樊"
    "葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆"
    "蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿"
    "桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝诸上"
)
_SURNAME = f"[{SURNAMES}]"
_TITLES = "先生|女士|小姐"
# "王建国先生" → "王*先生"; a surname alone with a title ("张先生") already identifies no one.
_NAME_BEFORE_TITLE = re.compile(f"({_SURNAME})({_HAN}{{1,2}})(?={_TITLES})")
_NAME_AFTER_LABEL = re.compile(
    f"((?:来电人|联系人|诉求人|反映人|投诉人|举报人|姓名)[是为:：\\s]*)({_SURNAME})({_HAN}{{1,3}})(?!{_TITLES})"
)
# "我是王建国，电话…": a self-introduction followed by a pause, a number or the next thing said.
_SELF_NAMED = re.compile(
    f"((?:我是|我叫|我姓名是)[:：\\s]*)({_SURNAME})({_HAN}{{1,2}})(?=电话|手机|联系|身份证|住|家住|[，,。；;\\s\\d])"
)
# Words that follow a label but are not names ("联系人电话", "来电人反映", "举报人称").
_NOT_NAMES = ("电话", "手机", "反映", "称", "表示", "要求", "希望", "说", "来电", "本人", "家属", "不详", "未知", "匿名",
              "方式", "地址", "多次", "曾经", "多年", "于是", "上述", "上门", "明确", "明显", "时间", "同时", "和我")


def _stars(n: int) -> str:
    return "*" * max(n, 1)


def _keep(value: str, start: int, end: int) -> str:
    """Keep `start` leading and `end` trailing digits or letters of `value`, star the ones between (separators
    kept where they stand)."""
    positions = [i for i, c in enumerate(value) if c.isalnum()]
    hidden = set(positions[start: len(positions) - end] if end else positions[start:])
    return "".join("*" if i in hidden else c for i, c in enumerate(value))


def _sub(pattern: re.Pattern, shadow: str, text: str, masker, group: int = 0) -> tuple[str, str]:
    """Replace matches found in `shadow` (the half-width text) in both strings, keeping them aligned."""
    pieces, shadow_pieces, last = [], [], 0
    for m in pattern.finditer(shadow):
        start, end = m.span(group)
        masked = masker(text[start:end], shadow[start:end])
        if masked is None:
            continue
        pieces += [text[last:start], masked]
        shadow_pieces += [shadow[last:start], "#" * len(masked)]
        last = end
    if not pieces:
        return text, shadow
    pieces.append(text[last:])
    shadow_pieces.append(shadow[last:])
    return "".join(pieces), "".join(shadow_pieces)


def _looks_like_date(digits: str) -> bool:
    return len(digits) == 8 and digits[:2] in ("19", "20") and "01" <= digits[4:6] <= "12" and "01" <= digits[6:] <= "31"


def mask_text(text: str, *, names: tuple[str, ...] | list[str] = ()) -> str:
    """`text` with every phone, ID number, bank card, e-mail and name masked. `names` are names known to be in
    it (the caller's): masked wherever they appear."""
    if not text:
        return text or ""
    shadow = text.translate(_HALF)
    text, shadow = _sub(_EMAIL, shadow, text, lambda raw, s: raw[0] + "***" + raw[s.index("@"):])
    text, shadow = _sub(_ID_NUMBER, shadow, text, lambda raw, s: _keep(raw, 1, 1))
    text, shadow = _sub(_CARD, shadow, text, lambda raw, s: _keep(raw, 0, 4))
    text, shadow = _sub(_MOBILE, shadow, text, _mask_mobile)
    text, shadow = _sub(_LANDLINE, shadow, text,
                        lambda raw, s: None if _looks_like_date(re.sub(r"\D", "", s)) else _keep(raw, 0, 2))
    text, shadow = _sub(_LOCAL, shadow, text, lambda raw, s: _keep(raw, 0, 2), group=1)
    for name in sorted({n.strip() for n in names if n and len(n.strip()) >= 2}, key=len, reverse=True):
        text = text.replace(name, mask_name(name))
    text = _NAME_AFTER_LABEL.sub(_label_name, text)
    text = _SELF_NAMED.sub(_label_name, text)
    text = _NAME_BEFORE_TITLE.sub(lambda m: m.group(1) + _stars(len(m.group(2))), text)
    return text


def _mask_mobile(raw: str, shadow: str) -> str:
    """138****8000 (with any prefix and grouping kept in place)."""
    digits = [i for i, c in enumerate(shadow) if c.isdigit()]
    core = digits[-11:]  # the mobile number itself, after any 86 prefix
    hidden = set(core[3:7])
    return "".join("*" if i in hidden else c for i, c in enumerate(raw))


def _label_name(m: re.Match) -> str:
    label, first, rest = m.group(1), m.group(2), m.group(3)
    if any((first + rest).startswith(word) for word in _NOT_NAMES):
        return m.group(0)
    # The name is at most three characters; what follows is the sentence going on.
    name_rest = rest[:2]
    return label + first + _stars(len(name_rest)) + rest[len(name_rest):]


def mask_phone(phone: str) -> str:
    """One phone field: 138****8000; a landline keeps its area code and last two digits."""
    if not phone:
        return ""
    masked = mask_text(phone)
    return masked if masked != phone else _keep(phone, 0, 2)


def mask_name(name: str) -> str:
    """One name field: 张** (the surname stays; a compound surname's second character does not)."""
    name = (name or "").strip()
    if not name:
        return ""
    for title in _TITLES.split("|"):
        if name.endswith(title) and len(name) > len(title):
            return mask_name(name[: -len(title)]) + title if len(name) - len(title) > 1 else name
    return name[0] + _stars(len(name) - 1)
