"""seed the violation taxonomy

The categories of shared/TAXONOMY.md (codes, parent, English and Korean labels), frozen here
so that this revision means the same thing forever; later changes to labels or codes get
their own revision. Korean labels follow shared/KOREAN.md and still need review by
native-speaker outreach staff.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22

"""
from alembic import op
import sqlalchemy as sa


revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# (code, parent code, English label, Korean label), in display order.
CATEGORIES = [
    ('V01', None, 'Killings and deaths', '살해 및 사망'),
    ('V01.1', 'V01', 'Public execution', '공개처형'),
    ('V01.2', 'V01', 'Secret or extrajudicial execution', '비밀처형·재판 없는 처형'),
    ('V01.3', 'V01', 'Death in custody', '구금 중 사망'),
    ('V01.4', 'V01', 'Death caused by torture or brutality', '고문·가혹행위로 인한 사망'),
    ('V01.5', 'V01', 'Death from starvation or deprivation', '굶주림·식량 박탈로 인한 사망'),
    ('V01.6', 'V01', 'Death during transfer or forced march', '이송·강제 행군 중 사망'),
    ('V01.7', 'V01', 'Infanticide', '영아 살해'),
    ('V01.8', 'V01', 'Attempted killing', '살인미수'),
    ('V02', None, 'Torture and ill-treatment', '고문 및 가혹행위'),
    ('V02.1', 'V02', 'Torture', '고문'),
    ('V02.2', 'V02', 'Beating or physical assault', '구타·폭행'),
    ('V02.3', 'V02', 'Threats, harassment or psychological abuse', '협박·괴롭힘·정신적 학대'),
    ('V02.4', 'V02', 'Punishment of family members (guilt by association)', '연좌제·집단처벌'),
    ('V03', None, 'Arbitrary arrest, detention and unfair trial', '자의적 체포·구금 및 불공정 재판'),
    ('V03.1', 'V03', 'Arbitrary arrest', '자의적 체포'),
    ('V03.2', 'V03', 'Arbitrary detention or imprisonment', '자의적 구금·수감'),
    ('V03.3', 'V03', 'Denial of a fair trial or defence', '불공정 재판·변호 기회 박탈'),
    ('V03.4', 'V03', 'Inhumane detention conditions', '비인도적 구금 환경'),
    ('V04', None, 'Enforced disappearance and abduction', '강제실종 및 납치'),
    ('V04.1', 'V04', 'Enforced disappearance', '강제실종'),
    ('V04.2', 'V04', 'Abduction of people from other countries', '다른 나라 국민 납치·납북'),
    ('V05', None, 'Enslavement and forced labour', '노예화 및 강제노동'),
    ('V05.1', 'V05', 'Forced labour in detention', '구금 중 강제노동'),
    ('V05.2', 'V05', 'Other forced labour', '기타 강제노동'),
    ('V06', None, 'Sexual and gender-based violence, reproductive violations', '성폭력·젠더 기반 폭력 및 재생산권 침해'),
    ('V06.1', 'V06', 'Rape or attempted rape', '강간·강간미수'),
    ('V06.2', 'V06', 'Sexual assault or sexual harassment', '성추행·성희롱'),
    ('V06.3', 'V06', 'Forced abortion', '강제 낙태'),
    ('V06.4', 'V06', 'Forced sterilisation or contraception', '강제 불임·피임'),
    ('V06.5', 'V06', 'Forced marriage (including through trafficking)', '강제 결혼·인신매매혼'),
    ('V07', None, 'Movement, residence and forced return', '이동·거주의 자유 침해 및 강제북송'),
    ('V07.1', 'V07', 'Punishment after forced return', '강제송환(강제북송) 후 처벌'),
    ('V07.2', 'V07', 'Forced relocation or banishment of families', '가족 강제 이주·지방 추방'),
    ('V07.3', 'V07', 'Restrictions on travel or border crossing', '여행·국경 이동 제한'),
    ('V08', None, 'Thought, expression, religion, information and privacy', '사상·표현·종교·정보·사생활의 자유 침해'),
    ('V08.1', 'V08', 'Religious persecution', '종교 박해'),
    ('V08.2', 'V08', 'Punishment for foreign media or information, censorship', '외부 정보 접촉 처벌·검열'),
    ('V08.3', 'V08', 'Surveillance, raids or illegal searches', '감시·가택수색'),
    ('V08.4', 'V08', 'Ban on association or assembly', '결사·집회 금지'),
    ('V09', None, 'Discrimination and persecution', '차별 및 박해'),
    ('V09.1', 'V09', 'Discrimination by political or family background (songbun)', '성분(출신성분)에 따른 차별'),
    ('V09.2', 'V09', 'Gender discrimination', '성차별'),
    ('V09.3', 'V09', 'Discrimination against persons with disabilities', '장애인 차별'),
    ('V09.4', 'V09', 'Racial or ethnic discrimination', '인종·민족 차별'),
    ('V10', None, 'Food, health and livelihood', '식량·건강·생계권 침해'),
    ('V10.1', 'V10', 'Deprivation of food', '식량 박탈'),
    ('V10.2', 'V10', 'Denial of medical care', '의료 제공 거부'),
    ('V10.3', 'V10', 'Confiscation, extortion or bribes demanded by officials', '재산 몰수·갈취·뇌물 요구'),
    ('V11', None, 'Violations against children', '아동 대상 인권 침해'),
    ('V90', None, 'Other', '기타'),
    ('V99', None, 'Not sure', '잘 모르겠음'),
]

category = sa.table(
    "category",
    sa.column("id", sa.Integer),
    sa.column("code", sa.String),
    sa.column("parent_id", sa.Integer),
    sa.column("label_ko", sa.String),
    sa.column("label_en", sa.String),
    sa.column("position", sa.Integer),
    sa.column("retired", sa.Boolean),
)


def upgrade():
    connection = op.get_bind()
    ids = {}
    for position, (code, parent, label_en, label_ko) in enumerate(CATEGORIES, start=1):
        connection.execute(
            category.insert().values(
                code=code, parent_id=ids.get(parent), label_en=label_en, label_ko=label_ko,
                position=position, retired=False,
            )
        )
        ids[code] = connection.scalar(sa.select(category.c.id).where(category.c.code == code))


def downgrade():
    connection = op.get_bind()
    codes = [row[0] for row in CATEGORIES]
    connection.execute(category.delete().where(category.c.parent_id.isnot(None), category.c.code.in_(codes)))
    connection.execute(category.delete().where(category.c.code.in_(codes)))
