import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    pass


core = sa.Table('core', Base.metadata, sa.Column('id', sa.Integer, primary_key=True),
                sa.Column('v', sa.String, server_default='x'))
