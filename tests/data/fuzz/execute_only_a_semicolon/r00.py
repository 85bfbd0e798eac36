from alembic import op
import sqlalchemy as sa
revision = 'a1b2c3d4e5f6'
down_revision = None


def upgrade():
    op.execute(';')
    op.execute('SELECT 1;;')
