"""Urgent-risk rules: phrases in a report that make it urgent whatever the classifier says.

Pure computation, no Django. `urgent_reasons(text)` returns one UrgentReason per risk found
(fire, gas, violence, self-harm, a person trapped, a fall or medical emergency, a child in
danger), in that order. The rules over-report rather than miss: a person confirms them.

How a trigger phrase is read (the tests pin each case):

* text is NFKC-normalised and cut into sentences (。！？；newline) and clauses (，、：
  space, 但是/可是/不过/结果);
* **negation** just before the trigger in its clause drops it: 没有闻到煤气味, 无人被困,
  不是着火 (but 没想到/没多久/不一会/未成年… are not negations);
* **hypothetical, worry, near-miss or hazard** wording drops it: 如果/万一/担心/怕/容易/
  防止/差点 earlier in the clause, 会/可能 right before, or 的话/怎么办/隐患/风险/过
  right after (电动车充电有火灾隐患, 着火的话, 老人容易摔倒, 差点摔了, 摔倒过). Not for
  self-harm: "怕他想不开" is itself a reason to act;
* **past** time (上次, 去年, 昨天, 之前…) in the clause drops the situational risks (fire,
  gas, trapped, medical, child) unless the clause says it goes on (还, 又, 一直, 至今,
  开始…). Violence and self-harm are kept whenever they happened;
* **resolved** after the trigger in the same sentence drops it: 已经处理完, 火已经灭了,
  已经找到了, 救出来了, 已送医, 和解了;
* **drills, publicity and media** in the sentence drop every rule: 演习, 演练, 宣传, 讲座,
  培训, 知识, 防溺水, 新闻, 电影… unless the sentence says 不是演习 or 真的;
* per-trigger exclusions: smoke from 烟囱/烧烤/油烟/做饭/抽烟, 跳楼价, 轮胎漏气,
  an alarm's 误报, "困在家里" as a habit (每次/经常/总是).

Not handled: irony, reported speech about other places ("听说别的小区着火了" fires),
events described without any trigger word, and wording not in the lists.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass


@dataclass(frozen=True)
class UrgentReason:
    code: str
    label_zh: str
    label_en: str
    matched: str  # the phrase in the (NFKC-normalised) text that fired


@dataclass(frozen=True)
class _Trigger:
    pattern: re.Pattern
    not_if: re.Pattern | None = None  # in the clause: a non-urgent use of the phrase


@dataclass(frozen=True)
class _Rule:
    code: str
    label_zh: str
    label_en: str
    triggers: tuple[_Trigger, ...]
    past_ends_it: bool  # a past-time clause means it is over
    hypothetical_ends_it: bool = True


def _t(pattern: str, not_if: str | None = None) -> _Trigger:
    return _Trigger(re.compile(pattern), re.compile(not_if) if not_if else None)


_OLD = (r"(?:老人|老太太|老太|老大爷|老爷爷|老奶奶|老爷子|老头|大爷|大妈|奶奶|爷爷|婆婆|阿婆"
        r"|老伯|老母亲|老父亲|我妈|我爸|外婆|外公|姥姥|姥爷)")
_CHILD = r"(?:孩子|小孩|小朋友|儿童|幼儿|婴儿|宝宝|小学生|娃)"
_GAS = r"(?:燃气|煤气|天然气|液化气)"

RULES: tuple[_Rule, ...] = (
    _Rule("fire", "火情", "Fire", (
        _t(r"(?<!打不)(?<!点不)(?<![打点])着火|起火|失火|火灾|烧起来|燃起来|火势|火光|(?:烧|点)着了|爆燃"),
        _t(r"冒(?:黑|白|浓)?烟|浓烟|烟很大",
           r"烟囱|烧烤|油烟|做饭|炒菜|抽烟|吸烟|香烟|锅炉|排烟|烧纸|焚烧|扬尘"),
        _t(r"(?:烟感|烟雾报警器?).{0,4}(?:响|报警|叫)", r"误报"),
        _t(r"爆炸", r"信息爆炸|爆炸性|爆炸头"),
    ), past_ends_it=True),
    _Rule("gas", "燃气泄漏", "Gas leak", (
        _t(_GAS + r"(?:泄漏|泄露|漏了|漏气)"),
        _t(_GAS + r"(?:罐|瓶|管道?|管子|阀门?|表|灶)?.{0,6}(?P<core>漏气)", r"轮胎|车胎|气球"),
        _t(_GAS + r"的?(?:味|气味|味道)"),
        _t(r"闻到.{0,6}" + _GAS),
        _t(_GAS + r"报警器?.{0,4}(?:响|报警|叫)", r"误报"),
        _t(r"(?:煤气|一氧化碳)中毒"),
    ), past_ends_it=True),
    _Rule("violence", "暴力伤害", "Violence", (
        _t(r"打人|殴打|打架|打起来|斗殴|群殴|砍人|捅人|行凶|家暴|家庭暴力|施暴|持刀|持械"),
        _t(r"(?:拿|举|提)(?:着|起)?(?:刀|菜刀|斧头).{0,4}(?P<core>砍|捅|追|威胁|吓)"),
        _t(r"(?:打|揍|踢|掐|扇)了?(?:我|她|他|孩子|小孩|老婆|媳妇|老公|老人|妻子|母亲|父亲|妈|爸)"
           r"(?!.{0,2}(?:电话|手机|微信|号码|招呼|针|疫苗|的主意))"),
        _t(r"被(?:人)?打(?!扰|折|印|卡|针|开|湿|败|通|包|补丁|疫苗|了个?电话|电话|分|车|工|扫)"),
        _t(r"要杀|杀了你|杀人|弄死你|要弄死"),
    ), past_ends_it=False),
    _Rule("self_harm", "自伤自杀风险", "Self-harm risk", (
        _t(r"想不开|轻生|自杀|自尽|寻死|寻短见|割腕|上吊|不想活|活着没意思|活不下去|了结自己"
           r"|结束自己的生命"),
        _t(r"跳楼|跳河|跳江|跳湖", r"跳楼价|跳楼甩卖|跳楼大甩卖"),
        _t(r"喝(?:了)?(?:农药|药)|吞(?:了)?(?:药|安眠药)|吃了.{0,4}安眠药"),
    ), past_ends_it=False, hypothetical_ends_it=False),
    _Rule("trapped", "人员被困", "Person trapped", (
        _t(r"被困(?!难)|(?<![特贫])困人|卡在电梯|(?:困|关|锁)在.{0,4}(?:电梯|轿厢)",
           r"每次|经常|总是|老是|天天"),
        _t(r"(?:人|我|我们|老人|孩子|小孩|他|她).{0,8}(?P<core>(?:困在|被锁在|关在).{0,6}"
           r"(?:里|屋|房|家))", r"每次|经常|总是|老是|天天"),
        _t(r"(?:人|我|我们|老人|孩子|小孩|他|她)[^,]{0,10}(?P<core>出不来)",
           r"每次|经常|总是|老是|天天"),
    ), past_ends_it=True),
    _Rule("medical", "老人跌倒或突发急病", "Fall or medical emergency", (
        _t(_OLD + r".{0,10}(?P<core>摔倒|跌倒|摔了一跤|摔在地上|倒在地上|倒地|晕倒|昏倒|起不来"
           r"|爬不起来|不能动了|走失|走丢|不见了|找不到了)"),
        _t(r"晕倒|昏倒|昏迷|不省人事|叫不醒|没有呼吸|没呼吸|呼吸困难|心脏骤停|心脏病发|心梗"
           r"|脑溢血|抽搐|大出血|吐血"),
        _t(r"独居.{0,16}(?P<core>没人应|无人应|不应|没有回应|联系不上|不接|没动静|没亮|没出门"
           r"|好几天|几天)"),
    ), past_ends_it=True),
    _Rule("child_danger", "儿童处于危险", "Child in danger", (
        _t(_CHILD + r".{0,10}(?P<core>(?:爬|站|坐|挂|悬)(?:在|上|到)?.{0,4}"
           r"(?:窗台|窗户外|窗外|阳台外|护栏外|栏杆外|楼顶边|空调外机))"),
        _t(_CHILD + r".{0,10}(?P<core>落水|溺水|掉进|掉到|掉下|掉入|坠楼|坠落)"),
        _t(_CHILD + r".{0,8}(?P<core>走失|走丢|不见了|找不到了|被拐|拐走|被抱走|被人带走)"),
        _t(_CHILD + r".{0,8}(?P<core>(?:锁在|关在|困在|被锁|被关).{0,6}"
           r"(?:车里|车内|屋里|家里|房间))"),
        _t(_CHILD + r".{0,8}一个人在家.{0,8}(?P<core>哭|喊|叫|没人管)"),
        _t(r"虐待" + _CHILD + r"|虐童"),
    ), past_ends_it=True),
)

_SENTENCES = re.compile(r"[。!?;\n]+|\.{3,}")
_CLAUSE_BREAK = re.compile(r"[,、:\s]|但是|可是|不过|结果")
_NOT_NEGATIONS = re.compile(r"没想到|没多久|没过多久|没一会|不一会|无缘无故|无故|未成年|没人管"
                            r"|没人理|无人看管|无人管理|无人值守")
_NEGATION = re.compile(r"没有|没|未|无|不是|并非|不像|排除")
_HYPOTHETICAL = re.compile(r"如果|万一|假如|要是|一旦|容易|可能会|会不会|担心|害怕|怕|防止|预防"
                           r"|以防|以免|避免|防范|小心|谨防|差点|差一点|险些|几乎|是否会")
_RIGHT_BEFORE = re.compile(r"(?:会|可能|易)$")
_RIGHT_AFTER = re.compile(r"^(?:的话|怎么办|咋办|怎么处理|隐患|风险|危险性|演习|演练|过(?![来去]))")
_PAST = re.compile(r"上次|上回|去年|前年|以前|曾经|之前|几年前|上个月|上周|上星期|前几天|前些天"
                   r"|昨天|昨晚|前天|那次|当年")
_ONGOING = re.compile(r"还|又|一直|仍|依然|至今|到现在|现在|今天|开始|再次")
_RESOLVED = re.compile(r"已经?处理|处理完|处理好了|已解决|解决了|火.{0,3}灭了|扑灭|灭火了"
                       r"|(?<![没未])找到了|已经找到|已送医|送医院了|救出来了|已经?救出|已经出来了"
                       r"|已脱困|已经没事|没事了|调解好了|已和解|和解了")
_NOT_REAL = re.compile(r"演习|演练|培训|宣传|讲座|知识|科普|年检|海报|标语|预案|普法|安全教育"
                       r"|防溺水|防走失|防拐|防诈骗|新闻|电视剧|电影|视频里|小说|游戏里")
_REALLY = re.compile(r"不是演习|不是演练|真的|真着火")


def _clause_around(sentence: str, start: int, end: int) -> tuple[str, str]:
    before = _CLAUSE_BREAK.split(sentence[:start])[-1]
    after = _CLAUSE_BREAK.split(sentence[end:])[0]
    return before, after


def _counts(rule: _Rule, trigger: _Trigger, sentence: str, match: re.Match) -> bool:
    # In "subject … event" patterns the event word (group "core") is what a negation,
    # a worry or a near miss qualifies: 老人走路容易摔倒, 燃气管道没有漏气.
    core = match.start("core") if "core" in match.re.groupindex else match.start()
    before, after = _clause_around(sentence, core, match.end())
    clause = before + sentence[core:match.end()] + after
    if trigger.not_if and trigger.not_if.search(clause):
        return False
    if _NEGATION.search(_NOT_NEGATIONS.sub("", before)[-5:]):
        return False
    if rule.hypothetical_ends_it and (_HYPOTHETICAL.search(before) or _RIGHT_BEFORE.search(before)
                                      or _RIGHT_AFTER.search(after)):
        return False
    if rule.past_ends_it and _PAST.search(before + after) and not _ONGOING.search(clause):
        return False
    return not _RESOLVED.search(sentence[match.end():])


def urgent_reasons(text: str) -> list[UrgentReason]:
    """The urgent risks the text reports, one per kind, in the order of RULES."""
    text = unicodedata.normalize("NFKC", text or "")
    sentences = [s for s in _SENTENCES.split(text) if s.strip()]
    found: list[UrgentReason] = []
    for rule in RULES:
        reason = None
        for sentence in sentences:
            if _NOT_REAL.search(sentence) and not _REALLY.search(sentence):
                continue
            for trigger in rule.triggers:
                for match in trigger.pattern.finditer(sentence):
                    if _counts(rule, trigger, sentence, match):
                        reason = UrgentReason(rule.code, rule.label_zh, rule.label_en,
                                              match.group())
                        break
                if reason:
                    break
            if reason:
                break
        if reason:
            found.append(reason)
    return found


def is_urgent(text: str) -> bool:
    return bool(urgent_reasons(text))
