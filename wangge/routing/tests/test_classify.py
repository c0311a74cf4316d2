"""The free-text classifier: pure training and prediction, storage per jurisdiction, seed and history samples."""

import io
import itertools

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from wangge.cases.models import Case, Category
from wangge.cases.services import category_seed
from wangge.core.errors import ApplicationError
from wangge.routing import classify
from wangge.routing.models import ClassifierModel

PLACES = ["小区门口", "菜场旁边", "学校附近", "公园里", "弄堂口", "地铁站外", "医院对面", "河边步道"]
TOPICS = {
    "light": (["路灯", "照明灯", "景观灯", "灯杆上的灯"], ["不亮", "一闪一闪", "晚上黑漆漆", "坏了好几天"]),
    "trash": (["垃圾", "垃圾桶", "生活垃圾", "垃圾袋"], ["堆满了", "发臭", "没人清运", "满地都是"]),
    "noise": (["施工噪音", "广场舞音乐", "装修电钻", "酒吧音响"], ["太吵", "半夜扰民", "吵得睡不着", "声音很大"]),
}


def corpus(places):
    """Sentences "{place}的{subject}{complaint}" for every topic; 4 × 4 per place and topic."""
    return [(f"{place}的{subject}{complaint}", label)
            for label, (subjects, complaints) in TOPICS.items()
            for place, subject, complaint in itertools.product(places, subjects, complaints)]


TRAIN = corpus(PLACES[:3])  # 48 per label
HELD_OUT = corpus(PLACES[6:])  # places never seen in training


@pytest.fixture(autouse=True)
def _fresh_cache():
    classify.classifier_cache_invalidate()  # ids are reused across rolled-back tests
    yield
    classify.classifier_cache_invalidate()


@pytest.fixture(scope="module")
def model():
    return classify.train(TRAIN)


def test_held_out_texts_are_classified_confidently(model):
    predictions = model.predict([text for text, _ in HELD_OUT])
    assert [p.label for p in predictions] == [label for _, label in HELD_OUT]
    assert min(p.confidence for p in predictions) > 0.5
    p = predictions[0]
    assert len(p.alternatives) == 3 and p.alternatives[0] == (p.label, p.confidence)
    assert sorted({a for a, _ in p.alternatives}) == sorted(TOPICS)
    assert abs(sum(c for _, c in p.alternatives) - 1) < 1e-6  # three labels: all of them
    assert model.labels == sorted(TOPICS) and model.n_samples == len(TRAIN)


def test_unknown_words_get_a_lower_confidence(model):
    known = min(p.confidence for p in model.predict([text for text, _ in HELD_OUT]))
    for text in ("今天天气不错", "请问办理居住证需要什么材料"):
        assert model.predict([text])[0].confidence < known
        assert 0 <= model.predict([text])[0].confidence <= 1


def test_bytes_round_trip_predicts_the_same(model):
    texts = [text for text, _ in HELD_OUT[::5]] + ["今天天气不错", ""]
    again = classify.Model.from_bytes(model.to_bytes())
    assert again.predict(texts) == model.predict(texts)
    assert again.labels == model.labels
    with pytest.raises(ApplicationError) as exc:
        classify.Model.from_bytes(b"not a model")
    assert exc.value.code == "classifier_unreadable"


def test_refuses_one_label_and_too_few_samples():
    with pytest.raises(ApplicationError) as exc:
        classify.train([(text, "light") for text, _ in TRAIN[:40]])
    assert exc.value.code == "classifier_too_few_labels"
    with pytest.raises(ApplicationError) as exc:  # "trash" has 2 samples: left out, one label remains
        classify.train([("路灯不亮", "light")] * 20 + [("垃圾满了", "trash")] * 2)
    assert exc.value.code == "classifier_too_few_labels"
    with pytest.raises(ApplicationError) as exc:
        classify.train([("路灯不亮", "light")] * 4 + [("垃圾满了", "trash")] * 4)
    assert exc.value.code == "classifier_too_few_samples"


def test_rare_labels_are_left_out_and_reported():
    m = classify.train(TRAIN[::4] + [("河道有死鱼", "river"), ("河面漂着垃圾", "river")])
    assert m.dropped == {"river": 2} and "river" not in m.labels


def test_cross_validation_reports_macro_f1():
    scores = classify.cross_validate(TRAIN, folds=5)
    assert scores["cv_folds"] == 5 and scores["cv_macro_f1"] > 0.9 and scores["cv_accuracy"] > 0.9
    rare = TRAIN[::4] + [("河道有死鱼", "river"), ("河面漂着垃圾", "river"), ("河里有油污", "river")]
    assert classify.cross_validate(rare, folds=5)["cv_folds"] == 3  # the rarest label has 3 samples


def test_seed_sentences_come_from_name_and_keywords():
    sentences = classify.seed_sentences("雨水井盖（雨水箅子）", ["雨水口"])
    assert {"雨水井盖（雨水箅子）", "雨水箅子", "雨水口", "雨水口问题", "有雨水口"} <= set(sentences)
    assert len(sentences) == len(set(sentences))


# ---------------------------------------------------------------------------------------------------
# Services


def test_classify_text_is_none_without_a_model(territory):
    assert classify.classify_text(jurisdiction=territory, text="路灯不亮了") is None


def test_training_stores_one_active_model_per_jurisdiction(territory):
    first = classify.classifier_train(jurisdiction=territory, samples=TRAIN, source="csv", cv_folds=3)
    assert first.active and first.labels == sorted(TOPICS) and first.n_samples == len(TRAIN)
    assert first.metrics["cv_folds"] == 3 and first.metrics["cv_macro_f1"] > 0.9
    p = classify.classify_text(jurisdiction=territory, text="河边步道的路灯坏了好几天")
    assert p.label == "light" and p.confidence > 0.5

    second = classify.classifier_train(jurisdiction=territory, samples=TRAIN[:96], source="csv")
    first.refresh_from_db()
    assert not first.active and second.active
    assert ClassifierModel.objects.filter(jurisdiction=territory, active=True).get() == second
    assert classify.classify_text(jurisdiction=territory, text="医院对面的垃圾桶堆满了").label == "trash"
    assert classify.classify_text(jurisdiction=territory, text="   ") is None
    with pytest.raises(ApplicationError) as exc:
        classify.classifier_train(jurisdiction=territory, samples=TRAIN, source="nowhere")
    assert exc.value.code == "classifier_bad_source"


def test_cache_follows_the_active_row_written_by_another_process(territory, model):
    classify.classifier_train(jurisdiction=territory, samples=TRAIN[:96], source="csv")  # light, trash
    assert classify.classify_text(jurisdiction=territory, text="装修电钻半夜扰民").label in {"light", "trash"}
    # Another process activates a model that knows "noise": this process sees the new id and reloads.
    ClassifierModel.objects.filter(jurisdiction=territory).update(active=False)
    ClassifierModel.objects.create(jurisdiction=territory, blob=model.to_bytes(), labels=model.labels,
                                   n_samples=model.n_samples, source="csv", active=True)
    assert classify.classify_text(jurisdiction=territory, text="装修电钻半夜扰民").label == "noise"
    ClassifierModel.objects.filter(jurisdiction=territory).update(active=False)
    assert classify.classify_text(jurisdiction=territory, text="装修电钻半夜扰民") is None
    # An unreadable blob (say, pickled by another scikit-learn) gives no suggestion instead of an error.
    ClassifierModel.objects.create(jurisdiction=territory, blob=b"garbage", labels=[], source="csv", active=True)
    assert classify.classify_text(jurisdiction=territory, text="装修电钻半夜扰民") is None


def test_seed_samples_classify_everyday_reports(territory):
    category_seed(jurisdiction=territory)
    samples = classify.classifier_seed_samples(jurisdiction=territory)
    minors = Category.objects.filter(jurisdiction=territory, parent__isnull=False)
    assert {code for _, code in samples} == set(minors.values_list("code", flat=True))
    row = classify.classifier_train(jurisdiction=territory, samples=samples, source="seed")
    assert len(row.labels) == minors.count()
    expected = {
        "路灯不亮了": "SJ0202",  # 路灯不亮
        "垃圾满了没人清理": "SJ0101",  # 暴露垃圾
        "电梯坏了困人": "SJ0705",  # 电梯故障
        "楼下饭店油烟太大": "SJ0408",  # 餐饮油烟扰民
        "超市卖过期食品": "SJ0501",  # 食品安全
    }
    for text, code in expected.items():
        p = classify.classify_text(jurisdiction=territory, text=text)
        assert p.label == code, (text, p)
    assert classify.classify_text(jurisdiction=territory, text="路灯不亮了").confidence > 0.5


def _minor(j, code, name, keywords, parent):
    return Category.objects.create(jurisdiction=j, parent=parent, code=code, name=name, kind="event",
                                   keywords=keywords)


def _case(j, category, n, state, description):
    return Case.objects.create(jurisdiction=j, code=f"T-{n}", channel="resident", category=category,
                               description=description, lon=121.44, lat=31.24, state=state,
                               is_open=state not in ("closed", "evaluated"), verified_once=state == "closed")


def test_history_samples_are_settled_cases_and_the_task_retrains(territory):
    major = Category.objects.create(jurisdiction=territory, code="X01", name="测试大类", kind="event")
    light = _minor(territory, "X0101", "路灯不亮", ["路灯", "灯不亮"], major)
    trash = _minor(territory, "X0102", "暴露垃圾", ["垃圾", "满溢"], major)
    _case(territory, light, 1, "closed", "河边步道的路灯晚上黑漆漆")
    _case(territory, trash, 2, "evaluated", "菜场旁边的垃圾袋发臭")
    _case(territory, trash, 3, "handling", "还在处理的垃圾")
    _case(territory, major, 4, "closed", "大类不作标签")
    assert sorted(classify.classifier_history_samples(jurisdiction=territory)) == [
        ("河边步道的路灯晚上黑漆漆", "X0101"), ("菜场旁边的垃圾袋发臭", "X0102")]

    from wangge.routing.tasks import retrain_classifier

    result = retrain_classifier.enqueue(territory.pk)
    assert result.return_value["history_samples"] == 2 and result.return_value["labels"] == 2
    row = ClassifierModel.objects.get(jurisdiction=territory, active=True)
    assert row.source == "seed+history" and row.labels == ["X0101", "X0102"]
    assert classify.classify_text(jurisdiction=territory, text="路灯坏了").label == "X0101"


def test_management_command_trains_from_csv(territory, tmp_path):
    path = tmp_path / "samples.csv"
    path.write_text("label,text\n" + "".join(f"{label},{text}\n" for text, label in TRAIN), encoding="utf-8-sig")
    out = io.StringIO()
    call_command("train_classifier", "--jurisdiction", "T1", "--source", "csv", "--csv", str(path), stdout=out)
    assert "3 labels, 144 samples, source csv" in out.getvalue()
    assert ClassifierModel.objects.get(jurisdiction=territory, active=True).source == "csv"

    bad = tmp_path / "bad.csv"
    bad.write_text("words,category\n路灯,light\n", encoding="utf-8")
    with pytest.raises(CommandError, match="text,label"):
        call_command("train_classifier", "--source", "csv", "--csv", str(bad), stdout=out)
    with pytest.raises(CommandError, match="classifier_too_few_labels"):
        call_command("train_classifier", "--source", "history", stdout=out)  # no cases, no labels
