import pytest

from warmgrid.lib.urgency import RULES, is_urgent, urgent_reasons


def codes(text):
    return [r.code for r in urgent_reasons(text)]


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("3号楼2单元楼道着火了，好多烟！", "fire"),
        ("楼下电动车充电起火了，快来人", "fire"),
        ("502家里在冒烟，敲门没人开", "fire"),
        ("地下车库冒出浓烟", "fire"),
        ("楼道的烟感一直在响，闻到焦味", "fire"),
        ("被子被烟头点着了", "fire"),
        ("上次着火的地方今天又冒烟了", "fire"),
        ("这次不是演习，5栋真的着火了", "fire"),
        ("楼道里全是煤气味，不知道谁家的", "gas"),
        ("燃气泄漏了！整个单元都是味道", "gas"),
        ("煤气罐好像漏气了，嘶嘶响", "gas"),
        ("闻到一股很浓的天然气", "gas"),
        ("燃气报警器一直在响", "gas"),
        ("隔壁一家人好像煤气中毒了", "gas"),
        ("物业说没事，但是我闻到很浓的煤气味", "gas"),
        ("前天开始一直有煤气味，今天更重了", "gas"),
        ("楼下有人打架，拿着酒瓶", "violence"),
        ("有个男的持刀在小区门口", "violence"),
        ("他拿着菜刀追着邻居砍", "violence"),
        ("老公喝醉了又打我", "violence"),
        ("隔壁家暴，女的一直在喊救命", "violence"),
        ("孩子在学校被打了，脸都肿了", "violence"),
        ("他扬言要杀了前妻", "violence"),
        ("楼上那个小伙子说不想活了", "self_harm"),
        ("有人站在楼顶说要跳楼", "self_harm"),
        ("我怕我妈想不开，她这几天一直哭", "self_harm"),
        ("邻居吃了一瓶安眠药", "self_harm"),
        ("5号楼电梯突然停了，有老人被困在电梯里出不来", "trapped"),
        ("电梯困人了！快来", "trapped"),
        ("我们被关在电梯里半个小时了", "trapped"),
        ("老人被锁在屋里出不来，钥匙在儿子那", "trapped"),
        ("3栋的独居老人摔倒了，起不来", "medical"),
        ("楼下有位大爷晕倒在路边", "medical"),
        ("我妈在卫生间摔了一跤，爬不起来", "medical"),
        ("独居老人好几天没出门了，敲门没人应", "medical"),
        ("有人昏迷不醒，已经打了120", "medical"),
        ("患老年痴呆的老人走失了，穿蓝色外套", "medical"),
        ("一个小孩坐在5楼窗台上，家里好像没大人", "child_danger"),
        ("有小孩掉进河里了", "child_danger"),
        ("我家孩子在小区里走丢了", "child_danger"),
        ("宝宝被锁在车里，车窗关着", "child_danger"),
    ],
)
def test_it_fires_on_urgent_reports(text, code):
    assert code in codes(text), urgent_reasons(text)


@pytest.mark.parametrize(
    "text",
    [
        # drills, notices, publicity, media
        "下周三上午9点消防演习，请居民配合",
        "电梯年检通知：本周五停运一天",
        "社区开展反家暴宣传活动",
        "暑期防溺水安全教育进校园",
        "组织老年人防跌倒健康讲座",
        "燃气安全检查通知说下周入户",
        "电梯困人应急演练今天下午举行",
        "昨晚新闻里说别的城市有人跳楼",
        # over, past, resolved
        "上次着火的事已经处理完了",
        "去年这栋楼失过火",
        "孩子走失了，已经找到了",
        "楼下着火了，现在火已经灭了",
        "昨天电梯把一位老人困在里面四十多分钟",
        "老人有认知障碍，走丢过两次，想申请定位手环",
        "家里上个月遭了火灾，东西全烧没了",
        # negations
        "没有闻到煤气味，就是燃气表不走了",
        "检查过了，无人被困",
        "不是着火，是楼下烧烤的烟",
        "消防来看了，没发现燃气泄漏",
        "老人没有摔倒，就是有点头晕",
        "燃气公司查了，燃气管道没有漏气",
        # hazards, worries, near misses
        "电动车在楼道里充电，有火灾隐患",
        "楼道窗户被封死了，着火的话烟都排不出去",
        "担心电线老化引发火灾",
        "老人走路容易摔倒，建议加个扶手",
        "健身器材的扶手断了，老人锻炼的时候差点摔了",
        "燃气管道老化有泄漏风险",
        "万一着火了怎么办",
        # other uses of the words
        "附近工厂的烟囱天天冒黑烟",
        "烧烤摊一直冒烟，油烟很大",
        "天然气灶打不着火，是不是没气了",
        "特困人员供养的申请流程是什么",
        "商场跳楼价大甩卖",
        "电动车轮胎漏气了",
        "燃气报警器老是误报",
        "被打扰了一晚上没睡好",
        "后墙被打通了做成门面",
        "他昨天打我电话我没接",
        "每次电梯坏了我妈就只能困在家里",
        "下水道的水流不出来",
        "燃气费怎么交",
        "",
    ],
)
def test_it_does_not_fire_on_non_urgent_uses(text):
    assert urgent_reasons(text) == [], urgent_reasons(text)


def test_each_kind_is_reported_once_with_labels_in_both_languages():
    reasons = urgent_reasons("楼下着火了，冒了好多烟，还闻到煤气味，有人被困在里面")
    assert [r.code for r in reasons] == ["fire", "gas", "trapped"]
    fire = reasons[0]
    assert fire.label_zh == "火情" and fire.label_en == "Fire" and fire.matched == "着火"
    assert is_urgent("电梯困人了") and not is_urgent("电梯年检")


def test_violence_and_self_harm_count_even_when_they_happened_earlier():
    assert codes("昨天晚上他又家暴了") == ["violence"]
    assert codes("她上周说过活着没意思") == ["self_harm"]


def test_full_width_text_is_read_the_same():
    assert codes("１２号楼着火了！！") == ["fire"]


def test_every_rule_has_a_code_and_both_labels():
    assert len({r.code for r in RULES}) == len(RULES) == 7
    assert all(r.label_zh and r.label_en and r.triggers for r in RULES)
