"""Settings read from CHIPGRAPH_* environment variables (one class for the CLI and the server)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from platformdirs import user_data_path
from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

# Graphs a fresh Virtuoso 7 holds for itself (its RDF views, the LDP vocabulary, its endpoint's description).
VIRTUOSO_GRAPHS = (
    "http://www.openlinksw.com/schemas/virtrdf#",
    "http://www.w3.org/ns/ldp#",
    "http://localuriqaserver/sparql",
    "http://www.w3.org/2002/07/owl#",
)


def default_store_path() -> Path:
    """The store folder used when neither --store nor CHIPGRAPH_STORE is given."""
    return user_data_path("chipgraph") / "store"


class Settings(BaseSettings):
    """chipgraph's settings; each field is read from CHIPGRAPH_<FIELD> when set."""

    model_config = SettingsConfigDict(env_prefix="CHIPGRAPH_")

    store: Path = Field(default_factory=default_store_path, description="Oxigraph store folder")
    store_url: str | None = Field(
        None, description="Query endpoint of a SPARQL 1.1 server to use instead of the Oxigraph folder (in progress)"
    )
    update_url: str | None = Field(None, description="Update endpoint of that server (default: CHIPGRAPH_STORE_URL)")
    store_user: str | None = Field(None, description="User name sent to the SPARQL server")
    store_password: SecretStr | None = Field(None, description="Password sent to the SPARQL server")
    store_auth: Literal["basic", "digest"] = Field("basic", description="HTTP authentication scheme of the server")
    store_mirror_graph: str = Field(
        "urn:chipgraph:default", description="Named graph holding the merge of the named graphs on a SPARQL server"
    )
    store_ignored_graphs: list[str] = Field(
        default_factory=lambda: list(VIRTUOSO_GRAPHS),
        description="The SPARQL server's own graphs, not chipgraph's (default: Virtuoso's system graphs)",
    )
    store_version_check: float = Field(
        1.0,
        ge=0,
        description="Seconds `serve` on a SPARQL server trusts its graph version before reading it again (0: always)",
    )
    store_lock_ttl: float = Field(
        600.0, gt=0, description="Seconds after which a writer's claim on a SPARQL server's write lock is stale"
    )
    store_lock_wait: float = Field(
        60.0, ge=0, description="Seconds a writer waits for a SPARQL server's write lock before giving up"
    )
    host: str = Field("127.0.0.1", description="Address `chipgraph serve` listens on")
    port: int = Field(8000, ge=1, le=65535, description="Port `chipgraph serve` listens on")
    write_token: SecretStr | None = Field(None, description="Bearer token for writes; none set: writes are off")
    cors_origins: list[str] = Field(default_factory=list, description="Origins allowed by CORS (none by default)")
    query_timeout: float = Field(30.0, gt=0, description="Seconds a SPARQL query may run")
    update_timeout: float = Field(60.0, gt=0, description="Seconds a SPARQL update's evaluation may run")
    query_workers: int = Field(2, ge=1, le=64, description="Worker processes for SPARQL queries")
    write_niceness: int = Field(
        10, ge=0, le=19, description="Niceness added to the merge thread and validation worker: readers first"
    )
    query_queue_wait: float = Field(2.0, ge=0, le=60, description="Seconds a query waits for a free worker (then 503)")
    queries_per_client: int | None = Field(
        None, ge=1, le=64, description="SPARQL queries one client address may run or queue at once (default: workers/2)"
    )
    query_sandbox: bool = Field(
        True, description="Run query workers without network access (seccomp); never turn off on a network"
    )
    max_body_bytes: int = Field(1_000_000, ge=1024, description="Largest request body accepted")
    max_file_bytes: int = Field(
        256 * 1024 * 1024, ge=1, description="Largest file a command reads (changeset, query, data set file)"
    )
    bulk_above: int = Field(
        20_000,
        ge=1,
        description="Triples a merge adds (removing none) from which it takes the bulk path (docs/adr/0016)",
    )
    max_result_rows: int = Field(100_000, ge=1, description="Most rows (or triples) a SPARQL result carries")
    lock_wait: float = Field(
        5.0, ge=0, description="Seconds a command waits for a store another chipgraph process holds for writing"
    )
    page_size_max: int = Field(500, ge=1, description="Largest page of a REST list")
