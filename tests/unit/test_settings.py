"""Settings and secret handling."""

import json
import stat
from pathlib import Path

import pytest

from procurement.core.settings import Settings, SettingsError, ensure_secrets, key_bytes, new_key


def test_environment_prefix_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DPR_STANDSTILL_DAYS", "0")
    monkeypatch.setenv("DPR_SOLVER", "CBC")
    settings = Settings()
    assert settings.standstill_days == 0
    assert settings.solver == "CBC"
    assert settings.min_tender_days == 10


def test_production_without_secrets_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="DPR_PSEUDONYM_KEY, DPR_SEALING_KEY"):
        ensure_secrets(Settings(env="production", data_dir=tmp_path))
    assert not (tmp_path / "secrets.json").exists()


def test_local_secrets_are_generated_once_and_kept(tmp_path: Path) -> None:
    first = ensure_secrets(Settings(env="local", data_dir=tmp_path))
    second = ensure_secrets(Settings(env="local", data_dir=tmp_path))
    assert first.sealing_key is not None and second.sealing_key is not None
    assert first.sealing_key.get_secret_value() == second.sealing_key.get_secret_value()
    assert first.pseudonym_key is not None
    assert first.pseudonym_key.get_secret_value() != first.sealing_key.get_secret_value()
    path = tmp_path / "secrets.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert set(json.loads(path.read_text())) == {"pseudonym_key", "sealing_key", "session_key"}
    assert len(key_bytes(first.sealing_key, name="sealing_key")) == 32


def test_secrets_never_appear_in_repr(tmp_path: Path) -> None:
    key = new_key()
    settings = Settings(env="production", data_dir=tmp_path, pseudonym_key=key, sealing_key=key)
    assert key not in repr(settings)
    assert key not in str(settings.model_dump())


def test_short_key_is_refused() -> None:
    from pydantic import SecretStr

    with pytest.raises(SettingsError, match="at least 32 bytes"):
        key_bytes(SecretStr("c2hvcnQ="), name="sealing_key")
