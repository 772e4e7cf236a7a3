# The image every service of docker-compose.yml runs: Python 3.11, the pinned dependency set that CI
# tests (requirements.lock: Airflow 3.3 with the Celery provider, dbt-duckdb, spaCy, Great Expectations)
# and paperpulse itself with its DAG, dbt project, lexicons and bundled page. Nothing is installed
# when a container starts.
FROM python:3.11-slim-bookworm

ENV PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    AIRFLOW_HOME=/opt/airflow \
    AIRFLOW__CORE__DAGS_FOLDER=/opt/paperpulse/dags \
    AIRFLOW__CORE__LOAD_EXAMPLES=False \
    PAPERPULSE_HOME=/opt/paperpulse/warehouse \
    DO_NOT_TRACK=1 \
    GX_ANALYTICS_ENABLED=false

# The official Airflow image's user (uid 50000, group 0): files on the shared volumes stay writable
# by every service whatever uid runs it, as long as it is in group 0.
RUN useradd --uid 50000 --gid 0 --no-create-home --home-dir /opt/airflow airflow \
    && mkdir -p /opt/airflow/config /opt/airflow/logs /opt/paperpulse/warehouse \
    && chown -R 50000:0 /opt/airflow /opt/paperpulse \
    && chmod -R g+rwX /opt/airflow /opt/paperpulse

WORKDIR /opt/paperpulse
COPY requirements.lock ./
RUN pip install --upgrade pip==26.3 && pip install -r requirements.lock

# Editable, as `make install` does: the package finds dbt/, data/ and the lexicons beside it.
COPY --chown=50000:0 . .
RUN pip install --no-deps -e .

USER 50000:0
ENTRYPOINT ["airflow"]
CMD ["version"]
