"""the units' door order as one index (building, entrance, floor, room, id), in place of the index on
building alone: the grid roster reads a page off it in order, with no sort

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-06 06:00:00
"""
from collections.abc import Sequence

from alembic import op


revision: str = '0020'
down_revision: str | None = '0019'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index('ix_property_unit_door_order', 'property_unit',
                    ['building_id', 'entrance_id', 'floor', 'room_number', 'id'], unique=False)
    op.drop_index('ix_property_unit_building_id', table_name='property_unit')


def downgrade() -> None:
    op.create_index('ix_property_unit_building_id', 'property_unit', ['building_id'], unique=False)
    op.drop_index('ix_property_unit_door_order', table_name='property_unit')
