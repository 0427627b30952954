# syntax=docker/dockerfile:1
# neo4j-restore on the official Neo4j image, so a matching neo4j-admin is there:
# the restore initContainer of charts/neo4j: runs as the neo4j user (7474), writes /data.
#
#   docker build -f docker/neo4j-restore.Dockerfile -t neo4j-restore:0.1.0-neo4j5.26 .
#   docker build --build-arg NEO4J_IMAGE=neo4j:4.4-enterprise \
#       -f docker/neo4j-restore.Dockerfile -t neo4j-restore:0.1.0-neo4j4.4 .
#
# Build context: the repository root. See docker/README.md.

# Enterprise Edition: online backup and restore are Enterprise features.
ARG NEO4J_IMAGE=neo4j:5.26-enterprise

# Build on the same image (Debian: bullseye or trixie, by tag), so the
# binaries link against exactly the library versions the final stage has.
FROM ${NEO4J_IMAGE} AS build
USER root
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      build-essential libcurl4-openssl-dev libarchive-dev libjansson-dev libssl-dev \
      libexpat1-dev libzstd-dev libisal-dev zlib1g-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
# No -Werror here: the image's compiler may be older than the one CI checks with.
RUN make WARNINGS=-Wall && make install PREFIX=/usr/local DESTDIR=/out

FROM ${NEO4J_IMAGE}
USER root
# Runtime libraries only (on trixie apt picks the t64 packages providing these names).
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libcurl4 libarchive13 libjansson4 libexpat1 libzstd1 libisal2 zlib1g ca-certificates \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /out/usr/local/bin/neo4j-restore /usr/local/bin/neo4j-restore
# The image's neo4j user, numerically (runAsNonRoot can check it).
USER 7474:7474
ENTRYPOINT ["/usr/local/bin/neo4j-restore"]
CMD []
