"""Alembic environment: uses the engine handed over in ``config.attributes``."""

from alembic import context

from review_queue.db.models import Base  # the queue's tables and the store's, all of them

config = context.config
engine = config.attributes.get("engine")
if engine is None:  # pragma: no cover - only when run through the alembic CLI
    from store import create_engine_for

    engine = create_engine_for(config.get_main_option("sqlalchemy.url") or "")

with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    context.run_migrations()
