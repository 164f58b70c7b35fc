"""The masking module over a generated corpus: every planted phone, ID number, card, e-mail and name in every
format is masked (0 survive), and innocent text (dates, amounts, house numbers, bus lines) is left alone."""

import random
import re

import pytest

from jiesu.core.masking import mask_name, mask_phone, mask_text

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "建国秀英伟芳娜敏静丽强磊军洋勇艳杰娟涛明超霞平刚"
FULL = str.maketrans({**{str(i): chr(0xFF10 + i) for i in range(10)}, "+": "＋"})


def _mobile(rng):
    return f"1{rng.choice('3456789')}{rng.randrange(10**9):09d}"


def _id18(rng):
    return f"{rng.randrange(110000, 659999)}{rng.randrange(1950, 2010)}{rng.randrange(1, 13):02d}" \
           f"{rng.randrange(1, 29):02d}{rng.randrange(1000):03d}{rng.choice('0123456789X')}"


def _name(rng):
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


# Each format: how a caller says it, and the value that must not survive (digits, or the name).
FORMATS = {
    "mobile": lambda r: (m := _mobile(r), m),
    "mobile +86": lambda r: (f"+86{(m := _mobile(r))}", m),
    "mobile +86 grouped": lambda r: (f"+86 {(m := _mobile(r))[:3]} {m[3:7]} {m[7:]}", m),
    "mobile 0086": lambda r: (f"0086-{(m := _mobile(r))}", m),
    "mobile 86": lambda r: (f"86{(m := _mobile(r))}", m),
    "mobile dashes": lambda r: (f"{(m := _mobile(r))[:3]}-{m[3:7]}-{m[7:]}", m),
    "mobile spaces": lambda r: (f"{(m := _mobile(r))[:3]} {m[3:7]} {m[7:]}", m),
    "mobile full-width": lambda r: ((m := _mobile(r)).translate(FULL), m),
    "mobile full-width +86": lambda r: (f"+86{(m := _mobile(r))}".translate(FULL), m),
    "mobile (+86)": lambda r: (f"(+86){(m := _mobile(r))}", m),
    "landline dash": lambda r: (f"010-{(n := str(r.randrange(60000000, 89999999)))}", "010" + n),
    "landline 4-digit area": lambda r: (f"0755 {(n := str(r.randrange(20000000, 89999999)))}", "0755" + n),
    "landline brackets": lambda r: (f"(021){(n := str(r.randrange(50000000, 69999999)))}", "021" + n),
    "landline extension": lambda r: (f"010-{(n := str(r.randrange(60000000, 89999999)))}转{r.randrange(100, 999)}",
                                     "010" + n),
    "landline plain": lambda r: (f"020{(n := str(r.randrange(30000000, 39999999)))}", "020" + n),
    "local after 电话": lambda r: (f"电话{(n := str(r.randrange(6000000, 8999999)))}", n),
    "ID 18": lambda r: ((i := _id18(r)), i),
    "ID 18 lowercase x": lambda r: ((i := _id18(r)[:17] + "x"), i),
    "ID 15": lambda r: ((i := f"{r.randrange(110000, 659999)}{r.randrange(500101, 891231)}{r.randrange(1000):03d}"), i),
    "ID grouped": lambda r: (f"{(i := _id18(r))[:6]} {i[6:14]} {i[14:]}", i),
    "ID full-width": lambda r: ((i := _id18(r)).translate(FULL), i),
    "card 16 grouped": lambda r: (" ".join((c := f"6222{r.randrange(10**12):012d}")[k:k + 4] for k in range(0, 16, 4)), c),
    "card 19": lambda r: ((c := f"621700{r.randrange(10**13):013d}"), c),
    "e-mail": lambda r: ((e := f"user{r.randrange(10**6)}@example{r.randrange(9)}.com.cn"), e),
    "name after 来电人": lambda r: (f"来电人{(n := _name(r))}", n if len(n) > 1 else ""),
    "name after 联系人：": lambda r: (f"联系人：{(n := _name(r))}", n),
    "name before 先生": lambda r: (f"{(n := r.choice(SURNAMES) + r.choice(GIVEN) * 1)}先生", n),
    "name after 我是": lambda r: (f"我是{(n := _name(r))}，", n),
    "name before 女士": lambda r: (f"{(n := r.choice(SURNAMES) + r.choice(GIVEN) + r.choice(GIVEN))}女士", n),
}
SENTENCES = [
    "{x}反映东湖路路灯连续三晚不亮，请尽快维修。",
    "小区门口积水严重，{x}，希望物业尽快处理。",
    "我家楼下餐馆油烟扰民，如需核实请联系{x}。",
    "{x}称其工资被拖欠三个月，共计12000元。",
    "幸福里3号楼2单元501室漏水，{x}，2026年11月25日发现。",
]
INNOCENT = [
    "2026年11月25日下午3点，东湖路与幸福街交叉口红绿灯故障。",
    "幸福里小区3号楼2单元501室楼上漏水已有两周。",
    "公交125路、306路末班车提前到晚上9点，请恢复到22:30。",
    "拖欠工资共计12000元，涉及工人35名，工期2025年3月至2026年8月。",
    "燃气费每立方米3.45元，本月用量128立方，账单日20261125。",
    "订单号123456789012的退款至今未到账。",
    "学校门口限速30公里，早上7:30到8:10车流量大。",
    "中心医院门诊楼8层，挂号费50元，排队两个小时。",
    "供暖温度只有16度，标准是18度以上，共有120户受影响。",
    "噪音监测达到75分贝，夜间22点后仍在施工。",
    "张先生反映小区电梯经常停运。",
    "来电人反映路面塌陷约2平方米。",
    "我是业主，小区物业不作为。",
    "我是幸福里小区的居民，楼下烧烤店油烟很大。",
    "本人退休多年，养老金一直没有调整。",
    "我是外地来的务工人员，工资被拖欠。",
]


def _digits(text: str) -> str:
    return re.sub(r"[^0-9Xx]", "", text.translate({0xFF10 + i: str(i) for i in range(10)})).upper()


def _corpus(n=1200, seed=12345):
    rng = random.Random(seed)
    names = list(FORMATS)
    for i in range(n):
        fmt = names[i % len(names)]
        said, secret = FORMATS[fmt](rng)
        yield fmt, rng.choice(SENTENCES).format(x=said), secret


def test_nothing_planted_survives_and_innocent_text_is_kept():
    survivors, texts = [], 0
    for fmt, text, secret in _corpus():
        texts += 1
        out = mask_text(text)
        survived = secret in out if not secret.isascii() else _digits(secret) in _digits(out)
        if survived:
            survivors.append((fmt, text, out))
    false_masks = [(t, mask_text(t)) for t in INNOCENT if mask_text(t) != t]
    print(f"\n脱敏语料：{len(FORMATS)} 种格式，{texts} 条文本，残留 {len(survivors)}；"
          f"无个人信息文本 {len(INNOCENT)} 条，误遮 {len(false_masks)}")
    assert len(FORMATS) >= 20 and texts >= 1000
    assert survivors == [], survivors[:5]
    assert false_masks == []


@pytest.mark.parametrize("text, expected", [
    ("+8613912345678", "+86139****5678"),
    ("138-0013-8001", "138-****-8001"),
    ("１３８００１３８００２", "１３８****８００２"),
    ("旧证110101900307851", "旧证1*************1"),
    ("来电人王建国反映路灯不亮", "来电人王**反映路灯不亮"),
    ("联系人电话13800138000", "联系人电话138****8000"),
    ("邮箱 zhang.san@example.com", "邮箱 z***@example.com"),
])
def test_the_shapes_people_recognise(text, expected):
    assert mask_text(text) == expected


def test_known_names_are_masked_wherever_they_appear():
    assert mask_text("孙七13500135000反映孙七家门口漏水", names=["孙七"]) == "孙*135****5000反映孙*家门口漏水"


def test_single_fields():
    assert mask_phone("13800138000") == "138****8000"
    assert mask_phone("010-65213344") == "***-******44"
    assert (mask_name("张三"), mask_name("欧阳娜娜"), mask_name("张先生"), mask_name("")) == ("张*", "欧***", "张先生", "")
