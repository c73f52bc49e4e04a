"""plain words for the violation sub-types that submitters see

Migration 0015 gave the top-level categories everyday words; the sub-types under "more
specific" still showed only the legal terms (영아 살해, 결사·집회 금지, 연좌제·집단처벌 …).
Issue 19's native review asked for plain words there too. As in 0015, the report form shows
the everyday words with the legal term in brackets, and staff pages, exports and case files
keep the legal labels. Sub-types whose legal term is already an everyday word (공개처형, 고문,
구타·폭행, 강간·강간미수, 강제 낙태) keep it alone.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06

"""
from alembic import op
import sqlalchemy as sa


revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

# code: (plain Korean, plain English); frozen here like 0002 and 0015.
PLAIN = {
    'V01.2': ('몰래 처형하거나 재판 없이 처형함', 'Executed in secret or without a trial'),
    'V01.3': ('갇혀 있다가 죽음', 'Died while locked up'),
    'V01.4': ('고문이나 매질 때문에 죽음', 'Died from torture or beatings'),
    'V01.5': ('굶어서 죽거나 먹을 것을 빼앗겨 죽음', 'Died of hunger, or because food was taken away'),
    'V01.6': ('끌려가거나 강제로 먼 길을 걷다가 죽음', 'Died while being moved or forced to march'),
    'V01.7': ('갓난아기를 죽임', 'A newborn baby was killed'),
    'V01.8': ('죽이려 했으나 살아남음', 'Someone tried to kill them, and they survived'),
    'V02.3': ('위협하거나 괴롭히거나 마음을 짓밟음', 'Threatened, harassed or mentally abused'),
    'V02.4': ('가족이라는 이유로 벌을 받음', 'Punished because of what a family member did'),
    'V03.3': ('공정한 재판이나 변호를 받지 못함', 'No fair trial, or no one to defend them'),
    'V04.2': ('다른 나라 사람을 납치함', 'People from another country were abducted'),
    'V05.1': ('갇혀 있는 동안 강제로 일함', 'Forced to work while locked up'),
    'V05.2': ('그 밖에 강제로 일을 시킴 (돌격대, 동원 등)', 'Other forced work (shock brigades, mobilization)'),
    'V06.2': ('몸을 함부로 만지거나 성적으로 괴롭힘', 'Touched against their will or sexually harassed'),
    'V06.4': ('강제로 아이를 못 갖게 함', 'Made unable to have children, by force'),
    'V06.5': ('강제로 결혼시키거나 팔려 가서 결혼함', 'Forced to marry, or sold into a marriage'),
    'V07.1': ('강제북송된 뒤 벌을 받음', 'Punished after being sent back by force'),
    'V07.2': ('가족이 강제로 이주당하거나 지방으로 쫓겨남', 'A family moved by force or banished to the countryside'),
    'V07.3': ('마음대로 다니거나 국경을 넘지 못하게 함', 'Not allowed to travel or to cross the border'),
    'V08.1': ('종교 때문에 벌을 받음', 'Punished for their religion'),
    'V08.2': ('외국 영상, 노래, 소식을 접했다고 벌을 받음', 'Punished for foreign videos, songs or news'),
    'V08.3': ('감시당하거나 집을 갑자기 뒤짐', 'Watched, or their home searched without warning'),
    'V08.4': ('사람들이 모이거나 단체를 만들지 못하게 함', 'Not allowed to meet or to form a group'),
    'V09.1': ('출신성분 때문에 차별받음', 'Treated unequally because of family background'),
    'V09.2': ('여자라서, 또는 남자라서 차별받음', 'Treated unequally for being a woman or a man'),
    'V09.3': ('장애가 있다고 차별받음', 'Treated unequally for a disability'),
    'V09.4': ('민족이나 인종 때문에 차별받음', 'Treated unequally for their ethnic group or race'),
    'V10.1': ('먹을 것을 빼앗기거나 받지 못함', 'Food taken away or refused'),
    'V10.2': ('아파도 치료를 받지 못함', 'No medical care when ill or hurt'),
    'V10.3': ('간부가 재산을 빼앗거나 뇌물을 요구함', 'Officials took property or demanded bribes'),
}

category = sa.table(
    "category",
    sa.column("code", sa.String),
    sa.column("plain_ko", sa.String),
    sa.column("plain_en", sa.String),
)


def upgrade():
    connection = op.get_bind()
    for code, (plain_ko, plain_en) in PLAIN.items():
        connection.execute(category.update().where(category.c.code == code)
                           .values(plain_ko=plain_ko, plain_en=plain_en))


def downgrade():
    connection = op.get_bind()
    connection.execute(category.update().where(category.c.code.in_(list(PLAIN)))
                       .values(plain_ko=None, plain_en=None))
