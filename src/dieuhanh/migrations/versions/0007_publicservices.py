"""publicservices: current procedures and dossiers of the one-stop-shop system

Revision ID: 0007_publicservices
Revises: 0006_reporting
Create Date: 2026-11-26 06:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0007_publicservices'
down_revision = '0006_reporting'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('ps_procedure',
    sa.Column('ma_tthc', sa.String(length=60), nullable=False),
    sa.Column('ten_tthc', sa.Text(), nullable=False),
    sa.Column('ma_linh_vuc', sa.String(length=60), nullable=True),
    sa.Column('ten_linh_vuc', sa.String(length=255), nullable=True),
    sa.Column('ma_co_quan', sa.String(length=40), nullable=False),
    sa.Column('muc_do_dvc', sa.String(length=20), nullable=False),
    sa.Column('co_phi_le_phi', sa.Integer(), nullable=False),
    sa.Column('yeu_cau_ket_qua', sa.Integer(), nullable=False),
    sa.Column('thoi_han_giai_quyet', sa.Integer(), nullable=True),
    sa.Column('extra', sa.JSON(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('ma_tthc', name=op.f('pk_ps_procedure'))
    )
    with op.batch_alter_table('ps_procedure', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ps_procedure_ma_co_quan'), ['ma_co_quan'], unique=False)

    op.create_table('ps_dossier',
    sa.Column('ma_ho_so', sa.String(length=100), nullable=False),
    sa.Column('ma_tthc', sa.String(length=60), nullable=False),
    sa.Column('ma_co_quan', sa.String(length=40), nullable=False),
    sa.Column('ma_don_vi_hanh_chinh', sa.String(length=10), nullable=True),
    sa.Column('kenh_thuc_hien', sa.Integer(), nullable=False),
    sa.Column('trang_thai_ho_so', sa.Integer(), nullable=False),
    sa.Column('ngay_tiep_nhan', sa.DateTime(), nullable=True),
    sa.Column('ngay_hen_tra', sa.DateTime(), nullable=True),
    sa.Column('ngay_ket_thuc_xu_ly', sa.DateTime(), nullable=True),
    sa.Column('ngay_yeu_cau_bo_sung', sa.DateTime(), nullable=True),
    sa.Column('ngay_cap_nhat', sa.DateTime(), nullable=False),
    sa.Column('so_lan_yeu_cau_bo_sung', sa.Integer(), nullable=False),
    sa.Column('duoc_thanh_toan_truc_tuyen', sa.Integer(), nullable=False),
    sa.Column('co_ket_qua_dien_tu', sa.Integer(), nullable=False),
    sa.Column('duoc_so_hoa', sa.Integer(), nullable=False),
    sa.Column('duoc_tai_su_dung', sa.Integer(), nullable=False),
    sa.Column('co_phan_anh', sa.Integer(), nullable=False),
    sa.Column('danh_gia', sa.String(length=20), nullable=True),
    sa.Column('extra', sa.JSON(), nullable=False),
    sa.Column('personal', sa.JSON(), nullable=False),
    sa.Column('received_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('ma_ho_so', name=op.f('pk_ps_dossier'))
    )
    with op.batch_alter_table('ps_dossier', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ps_dossier_ma_co_quan'), ['ma_co_quan'], unique=False)
        batch_op.create_index(batch_op.f('ix_ps_dossier_ma_don_vi_hanh_chinh'), ['ma_don_vi_hanh_chinh'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_ps_dossier_ma_tthc'), ['ma_tthc'], unique=False)
        batch_op.create_index(batch_op.f('ix_ps_dossier_ngay_tiep_nhan'), ['ngay_tiep_nhan'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('ps_dossier', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ps_dossier_ngay_tiep_nhan'))
        batch_op.drop_index(batch_op.f('ix_ps_dossier_ma_tthc'))
        batch_op.drop_index(batch_op.f('ix_ps_dossier_ma_don_vi_hanh_chinh'))
        batch_op.drop_index(batch_op.f('ix_ps_dossier_ma_co_quan'))
    op.drop_table('ps_dossier')
    with op.batch_alter_table('ps_procedure', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ps_procedure_ma_co_quan'))
    op.drop_table('ps_procedure')
