"""`dpr keys rotate-sealing`, `dpr backup` and `dpr restore`: the operator's keys and backups."""

from pathlib import Path
from typing import Annotated

import typer
from sqlmodel import Session

from procurement.app import backup as backups
from procurement.app.cli_common import console, operator, refuse, settings
from procurement.app.database import open_database, serving_database
from procurement.core.clock import utc_now
from procurement.core.settings import SettingsError

keys_app = typer.Typer(help="Keys: rotate the sealing master key.", no_args_is_help=True)


@keys_app.command("rotate-sealing")
def rotate_sealing() -> None:
    """Re-wrap each competition's key and webhook secret from DPR_SEALING_KEY_PREVIOUS to DPR_SEALING_KEY.

    Run the service with both keys first; when this is done, drop DPR_SEALING_KEY_PREVIOUS and discard it.
    """
    from minicompetition.tender.key_rotation import keys_to_rewrap, rewrap_one
    from minicompetition.tender.sealing import SealingError
    from registry.webhooks.endpoints import reseal_all

    config = settings()
    if config.sealing_key_previous is None:
        raise refuse("Set DPR_SEALING_KEY to the new key and DPR_SEALING_KEY_PREVIOUS to the old one.")
    moved = kept = 0
    with open_database(config) as engine, Session(engine) as session:
        for competition_id in keys_to_rewrap(session):
            try:
                done = rewrap_one(
                    session, competition_id=competition_id, settings=config, actor=operator(), now=utc_now()
                )
            except (SealingError, SettingsError) as exc:
                session.rollback()
                raise refuse(f"competition {competition_id}: {exc}") from exc
            session.commit()  # one row per transaction: the service's openings wait for one row at most
            moved, kept = moved + done, kept + (not done)
        webhooks = reseal_all(session, settings=config, actor=operator(), now=utc_now())
        session.commit()
    console.print(
        f"{moved} competition keys re-wrapped under the new key; {kept} were already under it; "
        f"{webhooks} webhook endpoints' secrets sealed under it."
    )
    print(f"rewrapped={moved} already={kept} webhooks={webhooks}")


def backup_command(
    out: Annotated[Path, typer.Option("--out", help="The dump file to write (pg_dump custom format).")],
) -> None:
    """Write a consistent backup of the database (the keys are never in it: keep them apart)."""
    config = settings()
    try:
        with serving_database(config) as url:
            made = backups.backup(url, out, tools=config.pg_bin)
    except backups.BackupError as exc:
        raise refuse(str(exc)) from exc
    console.print(
        f"Backup written: {made.path} ({made.size_bytes} bytes) in {made.seconds:.2f} s. The keys are not in"
        " it: keep DPR_SEALING_KEY, DPR_PSEUDONYM_KEY and DPR_SESSION_KEY (or secrets.json) apart."
    )
    print(f'{{"file": "{made.path}", "sha256": "{made.sha256}", "seconds": {made.seconds:.3f}}}')


def restore_command(
    dump: Annotated[Path, typer.Argument(help="A dump written by `dpr backup`.")],
) -> None:
    """Restore a backup into a fresh database (the configured empty one, or a new embedded one).

    The keys are put in place separately, as they were kept."""
    config = settings()
    try:
        if config.database_url:
            made = backups.restore(dump, url=config.database_url, tools=config.pg_bin)
        else:
            made = backups.restore_embedded(dump, data_dir=config.data_dir, tools=config.pg_bin)
    except backups.BackupError as exc:
        raise refuse(str(exc)) from exc
    console.print(f"Restored {dump} in {made.seconds:.2f} s; `dpr audit verify` checks the audit trail.")
    print(f'{{"file": "{dump}", "sha256": "{made.sha256}", "seconds": {made.seconds:.3f}}}')
