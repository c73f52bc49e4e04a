"""plain labels for the violation categories that submitters see

The taxonomy's labels are the legal terms of the UN and HURIDOCS (노예화, 재생산권, 자의적
체포, …): right for officers, exports and case files, but words many escapees do not use. A
native review (issue 11) asked that submitters see everyday words with the legal term beside
them. These columns hold the everyday words; where one is empty the legal label is plain
enough already. Exports and staff pages keep reading label_ko/label_en.

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-28

"""
from alembic import op
import sqlalchemy as sa


revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

# code: (plain Korean, plain English); frozen here like the seed in 0002.
PLAIN = {
    'V01': ('사람이 죽거나 죽임을 당한 일', 'Someone was killed or died'),
    'V02': ('고문, 구타, 괴롭힘', 'Torture, beating or abuse'),
    'V03': ('부당하게 잡혀가거나 갇힌 일, 억울한 재판', 'Taken or locked up unjustly, or an unfair trial'),
    'V03.1': ('정당한 이유 없이 잡혀감', 'Taken away without a fair reason'),
    'V03.2': ('정당한 이유 없이 갇힘', 'Locked up without a fair reason'),
    'V03.4': ('갇혀 있는 동안 먹을 것, 치료, 잠자리가 모자람', 'Held without enough food, medical care or a place to sleep'),
    'V04': ('끌려간 뒤 소식이 끊긴 일, 납치', 'Taken away and never heard of again, or abducted'),
    'V04.1': ('끌려간 뒤 소식이 끊김', 'Taken away and never heard of again'),
    'V05': ('강제로 일을 시킴', 'Forced to work'),
    'V06': ('성폭력, 강제 낙태, 강제 결혼', 'Sexual violence, forced abortion or forced marriage'),
    'V07': ('마음대로 오가거나 살 곳을 정할 수 없음, 강제북송', 'Not free to travel or choose where to live; sent back by force'),
    'V08': ('생각, 말, 종교, 외부 소식 때문에 벌을 받거나 감시당함', 'Punished or watched for beliefs, words, religion or outside news'),
    'V09': ('출신성분, 성별 등을 이유로 차별받음', 'Treated unequally for family background, sex or other reasons'),
    'V10': ('먹을 것, 치료, 재산을 빼앗기거나 받지 못함', 'Food, medical care or property taken away or refused'),
    'V11': ('아이들이 겪은 일', 'Things done to children'),
}

category = sa.table(
    "category",
    sa.column("code", sa.String),
    sa.column("plain_ko", sa.String),
    sa.column("plain_en", sa.String),
)


def upgrade():
    with op.batch_alter_table("category") as batch:
        batch.add_column(sa.Column("plain_ko", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("plain_en", sa.String(length=200), nullable=True))
    connection = op.get_bind()
    for code, (plain_ko, plain_en) in PLAIN.items():
        connection.execute(category.update().where(category.c.code == code)
                           .values(plain_ko=plain_ko, plain_en=plain_en))


def downgrade():
    with op.batch_alter_table("category") as batch:
        batch.drop_column("plain_en")
        batch.drop_column("plain_ko")
