"""qd766 complete: petitions (PAKN), electronic certified copies, the national ranking

Revision ID: 0015_qd766_complete
Revises: 0014_trusted_numbers
Create Date: 2026-12-07 03:30:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0015_qd766_complete'
down_revision = '0014_trusted_numbers'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('ps_petition',
    sa.Column('ma_pakn', sa.String(length=100), nullable=False),
    sa.Column('ma_co_quan', sa.String(length=40), nullable=False),
    sa.Column('ma_don_vi_hanh_chinh', sa.String(length=10), nullable=True),
    sa.Column('phan_loai', sa.String(length=10), nullable=False),
    sa.Column('ngay_tiep_nhan', sa.DateTime(), nullable=False),
    sa.Column('han_xu_ly', sa.DateTime(), nullable=True),
    sa.Column('ngay_xu_ly', sa.DateTime(), nullable=True),
    sa.Column('trang_thai', sa.String(length=40), nullable=True),
    sa.Column('danh_gia', sa.String(length=20), nullable=True),
    sa.Column('cong_khai', sa.Integer(), nullable=False),
    sa.Column('ngay_cap_nhat', sa.DateTime(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('ma_pakn', name=op.f('pk_ps_petition'))
    )
    with op.batch_alter_table('ps_petition', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ps_petition_ma_co_quan'), ['ma_co_quan'], unique=False)
        batch_op.create_index(batch_op.f('ix_ps_petition_ma_don_vi_hanh_chinh'), ['ma_don_vi_hanh_chinh'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_ps_petition_ngay_tiep_nhan'), ['ngay_tiep_nhan'], unique=False)
    op.create_table('ps_certified_copy',
    sa.Column('ma_don_vi_hanh_chinh', sa.String(length=10), nullable=False),
    sa.Column('thang', sa.String(length=7), nullable=False),
    sa.Column('co_cung_cap', sa.Integer(), nullable=False),
    sa.Column('ngay_cap_nhat', sa.DateTime(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('ma_don_vi_hanh_chinh', 'thang', name=op.f('pk_ps_certified_copy'))
    )
    op.create_table('ps_province_ranking',
    sa.Column('period', sa.String(length=7), nullable=False),
    sa.Column('ma_tinh', sa.String(length=10), nullable=False),
    sa.Column('ten_tinh', sa.String(length=120), nullable=False),
    sa.Column('tong_diem', sa.Double(), nullable=False),
    sa.Column('nhom', sa.JSON(), nullable=False),
    sa.Column('imported_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('period', 'ma_tinh', name=op.f('pk_ps_province_ranking'))
    )


def downgrade() -> None:
    op.drop_table('ps_province_ranking')
    op.drop_table('ps_certified_copy')
    with op.batch_alter_table('ps_petition', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ps_petition_ngay_tiep_nhan'))
        batch_op.drop_index(batch_op.f('ix_ps_petition_ma_don_vi_hanh_chinh'))
        batch_op.drop_index(batch_op.f('ix_ps_petition_ma_co_quan'))
    op.drop_table('ps_petition')
