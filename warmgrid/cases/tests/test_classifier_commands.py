"""`warmgrid cases train|evaluate` on a labelled file, with corrections from the platform."""

import json

import pytest
from django.core.management import CommandError, call_command

from warmgrid.cases import actions, classification
from warmgrid.cases.models import Case, Category

ROWS = {
    "lift": ["电梯又坏了停在三楼", "电梯门关不上", "电梯里有怪声", "电梯按钮失灵", "电梯经常停运",
             "电梯运行时晃动厉害"],
    "garbage": ["垃圾桶满了没人清", "垃圾站臭气熏天", "楼下垃圾堆了好几天", "垃圾没人收",
                "垃圾车好几天没来", "小区垃圾乱扔没人管"],
}


@pytest.fixture
def labelled(tmp_path):
    path = tmp_path / "labelled.csv"
    lines = ["text,category"] + [f"{t},{code}" for code, texts in ROWS.items() for t in texts]
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def test_evaluate_prints_one_json_object_with_both_models(db, labelled, capsys):
    call_command("cases", "evaluate", "--data", str(labelled), "--folds", "3", "--json")
    result = json.loads(capsys.readouterr().out)
    assert 0 <= result["accuracy"] <= 1 and 0 <= result["macro_f1"] <= 1
    assert set(result["per_category"]) == {"lift", "garbage"}
    assert "accuracy" in result["baseline"]


def test_evaluate_refuses_unknown_categories(db, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("text,category\n电梯坏了,no_such_category\n", encoding="utf-8")
    with pytest.raises(CommandError):
        call_command("cases", "evaluate", "--data", str(bad), "--folds", "2")


def test_training_uses_a_dispatchers_correction(world, labelled, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    classification._model.cache_clear()
    # Filed under the wrong category, corrected by a dispatcher, then closed.
    for text in ("楼道灯一直不亮", "路灯坏了晚上很黑", "小区路灯不亮好几天"):
        case = actions.do_report_case(
            actor=world.worker_a, channel=Case.Channel.GRID_WORKER,
            data=actions.CaseInput(description=text, household=world.household_a,
                                   category=Category.objects.get(code="garbage")))
        Case.objects.filter(pk=case.pk).update(category=Category.objects.get(code="road_lamp"),
                                               state=Case.State.CLOSED)
    texts, labels = classification.platform_examples()
    assert ("楼道灯一直不亮", "road_lamp") in zip(texts, labels, strict=True)
    call_command("cases", "train", "--data", str(labelled))
    assert classification.active_model_path().exists()
    classification._model.cache_clear()
    assert classification.suggest_category("电梯门关不上了").category.code == "lift"
    assert classification.suggest_category("路灯不亮了").category.code == "road_lamp"
    classification._model.cache_clear()


def test_warm_up_loads_the_model_without_touching_the_database():
    # wsgi.py calls it before gunicorn forks its workers: a database connection opened
    # there would be shared by every worker. No `db` fixture: any query would raise.
    classification._model.cache_clear()
    classification.warm_up()
    assert classification._model.cache_info().currsize == 1
