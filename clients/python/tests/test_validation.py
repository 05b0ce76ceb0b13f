"""Bad input: typed errors with stable codes, and nothing written outside (or before) the run folder."""

import os

import pytest

from labrun import (
    InvalidLogLevelError,
    InvalidPrefixError,
    InvalidTrackingNameError,
    LabrunError,
    NoCurrentRunError,
    Run,
    RunStateError,
    TrackingValueError,
)


def all_files(path):
    out = []
    for current, _, files in os.walk(path):
        out.extend(os.path.join(current, f) for f in files)
    return sorted(out)


@pytest.mark.parametrize(
    "prefix",
    ["", "/alice/proj/x", "alice", "alice//x", "alice/proj/", "alice/../x", "alice/./x", "..", "../../etc/x",
     "alice/proj/..", "alice\\proj", "alice/pr\x00oj", None, 42,
     # Refused by the server too: control characters, lone surrogates, U+FFFD (bytes that were not UTF-8).
     "alice/proj/x\ny", "alice/proj/tab\there", "alice/proj/\x7f", "alice/proj/\ud800", "alice/proj/\ufffd"],
)
def test_malformed_prefix_is_refused_before_anything_is_written(prefix, root, tmp_path):
    with pytest.raises(InvalidPrefixError) as caught:
        Run(prefix=prefix).start()
    assert caught.value.code == "INVALID_PREFIX"
    assert isinstance(caught.value, LabrunError)
    assert all_files(tmp_path) == []
    with pytest.raises(InvalidPrefixError):
        Run.open(prefix)


def test_a_valid_prefix_maps_one_folder_per_segment(root):
    run = Run(prefix="alice/vision/sweeps/lr-0.1/seed 3").start()
    run.complete()
    assert run.dir == str(root / "alice" / "vision" / "sweeps" / "lr-0.1" / "seed 3")
    info = run.info()
    assert (info["name"], info["project"], info["prefix"]) == ("seed 3", "vision", "alice/vision/sweeps/lr-0.1/seed 3")


def test_two_segment_prefix_uses_the_project_as_name(root):
    with Run(prefix="alice/proj").run as run:
        pass
    assert run.info()["name"] == "proj"


@pytest.mark.parametrize("folder", ["../x", "a/../../x", "a//b", "./", "a/./b", "a\\b", "x\x00"])
def test_file_folder_escaping_is_refused(folder, root):
    with Run(prefix="alice/proj/files").run as run:
        with pytest.raises(InvalidTrackingNameError) as caught:
            run.files(folder).save(b"x", name="a.bin")
        assert caught.value.code == "INVALID_TRACKING_NAME"
    assert run.files().list() == []
    assert not any(p.endswith("a.bin") for p in all_files(root.parent))


@pytest.mark.parametrize("name", ["../evil.txt", "a/b.txt", "..", ".", "", "a\\b", "x\x00y", "a\nb", "\udc00"])
def test_file_name_escaping_is_refused(name, root, tmp_path):
    with Run(prefix="alice/proj/files").run as run:
        with pytest.raises(InvalidTrackingNameError):
            run.files("models").save(b"x", name=name)
    assert run.files().list() == []
    assert not (tmp_path / "evil.txt").exists()
    assert not (root / "alice" / "proj" / "evil.txt").exists()


@pytest.mark.parametrize("name", ["", "a/b", "..", ".", "None", "a\\b"])
def test_bad_metric_names(name):
    with Run(prefix="alice/proj/m").run as run:
        with pytest.raises(InvalidTrackingNameError):
            run.metrics(name).log(x=1)
        with pytest.raises(InvalidTrackingNameError):
            run.metrics.log(epoch=1, **{name: {"loss": 1}}) if name else run.metrics("").log(x=1)


def test_track_topic_rules():
    with Run(prefix="alice/proj/t").run as run:
        run.tracks("robot/arm/pos").append(x=1, _ts=1.0)
        for topic in ("", "..", "a\\b"):
            with pytest.raises(InvalidTrackingNameError):
                run.tracks(topic).append(x=1)
    assert run.tracks.topics() == ["robot/arm/pos"]
    assert os.path.isdir(os.path.join(run.dir, "tracks", "robot_arm_pos"))


class Weird:
    pass


@pytest.mark.parametrize(
    "value", [Weird(), {1, 2}, b"bytes", object(), lambda: 1, {"nested": [Weird()]}, {3: "int key"}]
)
def test_non_serialisable_values_raise_and_write_nothing(value):
    with Run(prefix="alice/proj/values").run as run:
        with pytest.raises(TrackingValueError) as caught:
            run.metrics("train").log(loss=value)
        assert caught.value.code == "TRACKING_VALUE"
        with pytest.raises(TrackingValueError):
            run.params.set(p=value)
        with pytest.raises(TrackingValueError):
            run.log("msg", extra=value)
        with pytest.raises(TrackingValueError):
            run.tracks("t").append(v=value, _ts=1.0)
        with pytest.raises(TrackingValueError):
            run.metrics("train").append([{"loss": 1.0}, {"loss": value}])
        run.metrics("train").log(loss=1.0)
    assert [p["data"]["loss"] for p in run.metrics("train").read()] == [1.0]
    assert run.params.get() == {}
    assert run.logs.read() == []


def test_cycles_are_a_typed_error():
    a = []
    a.append(a)
    with Run(prefix="alice/proj/cycle").run as run:
        with pytest.raises(TrackingValueError):
            run.metrics("m").log(x=a)


def test_numpy_like_values_are_converted():
    class Scalar:
        def __init__(self, v):
            self.v = v

        def item(self):
            return self.v

    class Array:
        dtype = "float32"

        def tolist(self):
            return [1.0, 2.0]

    with Run(prefix="alice/proj/np").run as run:
        run.metrics("m").log(x=Scalar(0.5), arr=Array())
        run.params.set(lr=Scalar(0.1))
    assert run.metrics("m").read()[0]["data"]["x"] == 0.5
    assert run.metrics("m").read()[0]["data"]["arr"] == [1.0, 2.0]
    assert run.params.get()["lr"] == 0.1


def test_invalid_log_level():
    with Run(prefix="alice/proj/lvl").run as run:
        with pytest.raises(InvalidLogLevelError) as caught:
            run.log("x", level="loud")
        assert caught.value.code == "TRACKING_VALUE"
        run.log("ok", level="WARNING")
    assert run.logs.read()[0]["level"] == "warn"


def test_writing_before_start_or_after_close_is_a_state_error():
    run = Run(prefix="alice/proj/state")
    with pytest.raises(RunStateError) as caught:
        run.metrics("m").log(x=1)
    assert caught.value.code == "RUN_STATE"
    assert not os.path.exists(run.dir)
    run.start()
    run.complete()
    with pytest.raises(RunStateError):
        run.log("late")
    view = Run.open("alice/proj/state")
    with pytest.raises(RunStateError):
        view.params.set(x=1)


def test_current_without_environment():
    with pytest.raises(NoCurrentRunError) as caught:
        Run.current()
    assert caught.value.code == "NO_CURRENT_RUN"


def test_errors_carry_code_message_details():
    try:
        Run(prefix="a//b")
    except LabrunError as error:
        wire = error.to_dict()
        assert wire["code"] == "INVALID_PREFIX"
        assert "owner/project" in wire["message"]
        assert wire["details"]["prefix"] == "a//b"


def test_unreadable_experiment_json_is_reported_not_overwritten(root):
    from labrun import CorruptRecordError

    with Run(prefix="alice/proj/corrupt").run as run:
        pass
    path = os.path.join(run.dir, "experiment.json")
    with open(path, "w") as f:
        f.write('{"name": "half')
    with pytest.raises(CorruptRecordError) as caught:
        Run(prefix="alice/proj/corrupt").start()
    assert caught.value.code == "CORRUPT_RECORD"
    with open(path) as f:
        assert f.read() == '{"name": "half'
    # A listing still works: it lists the rest and names the damaged file in a warning.
    from labrun import CorruptRecordWarning

    with Run(prefix="alice/proj/fine").run:
        pass
    with pytest.warns(CorruptRecordWarning) as warned:
        assert [v.prefix for v in Run.list()] == ["alice/proj/fine"]
    assert [w.message.file for w in warned] == [path]
    assert "JSON" in warned[0].message.problem or "Unterminated" in warned[0].message.problem
    with pytest.raises(CorruptRecordError):
        Run.open("alice/proj/corrupt").status
    with open(path) as f:
        assert f.read() == '{"name": "half'


def test_proto_keys_are_refused_as_the_server_refuses_them(root):
    with Run(prefix="alice/proj/proto").run as run:
        for bad in ({"__proto__": 1}, {"opt": {"__proto__": {"lr": 1}}}):
            with pytest.raises(TrackingValueError) as caught:
                run.params.set(bad)
            assert "__proto__" in str(caught.value)
        with pytest.raises(TrackingValueError):
            run.metrics("train").log(**{"__proto__": 1})
        assert run.params.get() == {}

