"""The default Chinese event taxonomy WarmGrid ships (a district edits its own copy).

Pure data, no Django: the data migration that seeds categories, the classifier's
labelled set and the tests all read it. Each entry:
(code, parent code, 中文名, English name, first response (working hours),
 resolution (working days), priority 1 urgent … 4 low, closing needs a second person's
 check (核查), difficulty weight for assessment, default handling unit kind).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CategorySpec:
    code: str
    parent: str | None
    name: str
    name_en: str
    response_hours: int
    resolve_days: int
    priority: int
    needs_check: bool
    difficulty: float
    unit_kind: str  # a Department.Kind, or "grid" / "community" for the area's own team


CATEGORIES: tuple[CategorySpec, ...] = (
    CategorySpec("sanitation", None, "环境卫生", "Sanitation", 4, 3, 3, False, 1.0, "urban_management"),
    CategorySpec("garbage", "sanitation", "垃圾清运", "Rubbish collection", 4, 2, 3, False, 0.8, "property"),
    CategorySpec("municipal", None, "市政设施", "Municipal facilities", 4, 5, 3, True, 1.2, "urban_management"),
    CategorySpec("road_lamp", "municipal", "道路与路灯", "Roads and street lights", 4, 5, 3, True, 1.2, "urban_management"),
    CategorySpec("drainage", "municipal", "供排水", "Water supply and drainage", 2, 3, 2, True, 1.3, "urban_management"),
    CategorySpec("property", None, "物业管理", "Property management", 4, 5, 3, False, 1.0, "property"),
    CategorySpec("neighbour_dispute", None, "邻里纠纷", "Neighbour dispute", 4, 7, 3, False, 1.5, "community"),
    CategorySpec("noise", "neighbour_dispute", "噪音扰民", "Noise", 4, 3, 3, False, 1.2, "community"),
    CategorySpec("family_conflict", None, "家庭矛盾", "Family conflict", 2, 7, 2, False, 1.6, "community"),
    CategorySpec("safety", None, "安全隐患", "Safety hazard", 1, 2, 1, True, 1.4, "fire"),
    CategorySpec("fire_exit", "safety", "消防通道", "Blocked fire exit", 1, 1, 1, True, 1.2, "fire"),
    CategorySpec("lift", "safety", "电梯故障", "Lift fault", 1, 2, 1, True, 1.3, "property"),
    CategorySpec("gas", "safety", "燃气安全", "Gas safety", 1, 1, 1, True, 1.5, "fire"),
    CategorySpec("public_order", None, "社会治安", "Public order", 1, 3, 2, False, 1.4, "police"),
    CategorySpec("social_assistance", None, "民政救助", "Social assistance", 8, 10, 3, False, 1.3, "civil_affairs"),
    CategorySpec("labour", None, "劳动保障", "Labour and wages", 8, 10, 3, False, 1.4, "other"),
    CategorySpec("education", None, "教育", "Education", 8, 10, 4, False, 1.1, "other"),
    CategorySpec("health", None, "医疗卫生", "Health", 4, 5, 3, False, 1.2, "health"),
    CategorySpec("traffic", None, "交通出行", "Traffic and parking", 4, 5, 3, False, 1.0, "police"),
    CategorySpec("illegal_building", None, "违章建设", "Unauthorised building", 8, 10, 3, True, 1.6, "urban_management"),
)

BY_CODE = {c.code: c for c in CATEGORIES}
# Matters about people rather than places: never listed to the public.
PRIVATE = frozenset({"neighbour_dispute", "noise", "family_conflict", "public_order",
                     "social_assistance", "labour", "education", "health"})
# The categories the classifier predicts: every one a person may file under.
CLASSIFIED = tuple(c.code for c in CATEGORIES)
