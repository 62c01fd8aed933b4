"""Settings read from CHIPGRAPH_* environment variables."""

from __future__ import annotations

from pathlib import Path

from platformdirs import user_data_path
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


def default_store_path() -> Path:
    """The store folder used when neither --store nor CHIPGRAPH_STORE is given."""
    return user_data_path("chipgraph") / "store"


class Settings(BaseSettings):
    """chipgraph's settings; each field is read from CHIPGRAPH_<FIELD> when set."""

    model_config = SettingsConfigDict(env_prefix="CHIPGRAPH_")

    store: Path = Field(default_factory=default_store_path, description="Oxigraph store folder")
