# relayd container image: a Swift build stage and a slim Ubuntu runtime stage.
#
#   docker build -t relayd .
#   docker run --rm -p 8000:8000 -e RELAYD_CORS_ORIGINS=http://localhost:3000 relayd
#
# Keep in step with Package.swift: the product is `relayd`, and the system-library targets
# COpenSSL and CZlib need libssl and zlib.

# ---------------------------------------------------------------------------------------
# Build stage
# ---------------------------------------------------------------------------------------
FROM swift:6.3-jammy AS build

# Headers and pkg-config files for the COpenSSL (libssl-dev) and CZlib (zlib1g-dev)
# system-library targets.
RUN export DEBIAN_FRONTEND=noninteractive \
    && apt-get -q update \
    && apt-get -q install -y --no-install-recommends libssl-dev zlib1g-dev \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /build

# Resolve dependencies from the manifest alone, so this layer stays cached until
# Package.swift changes. Package.resolved is git-ignored: it is used when the build context
# has one (a local `docker build`) and is not needed (a Railway build from git).
COPY Package.* ./
RUN swift package resolve

# Tests/ is copied too: SwiftPM refuses to load a package whose declared test targets have
# no directory, even when building only the executable. Plugins/ holds the EmbedWebAssets
# build-tool plugin, which compiles the top-level files of web/ into the binary: the runtime
# image below has no web/, relayd serves the demo page and the client module by itself.
COPY Sources ./Sources
COPY Tests ./Tests
COPY Plugins ./Plugins
COPY web ./web

# --static-swift-stdlib links the Swift runtime, Foundation and Dispatch into the binary, so
# the runtime image needs no Swift toolchain, only libc, libstdc++ and the system libraries.
RUN swift build -c release --static-swift-stdlib --product relayd

# Copy the binary out of the build directory (--show-bin-path gives its path for this
# configuration and architecture), together with the static crash backtracer so a crash
# prints a symbolicated backtrace in the logs.
RUN mkdir /staging \
    && cp "$(swift build -c release --static-swift-stdlib --product relayd --show-bin-path)/relayd" /staging/ \
    && cp /usr/libexec/swift/linux/swift-backtrace-static /staging/

# ---------------------------------------------------------------------------------------
# Runtime stage: the same Ubuntu release as the build image (swift:6.3-jammy is 22.04), so
# the libraries the binary was linked against have the same versions.
# ---------------------------------------------------------------------------------------
FROM ubuntu:jammy

# libssl3 and zlib1g: runtime halves of libssl-dev and zlib1g-dev. libstdc++6: the static
# Swift runtime still links libstdc++ dynamically (it is in the base image already; listed so
# that stays true). ca-certificates: for TLS connections to model providers.
RUN export DEBIAN_FRONTEND=noninteractive \
    && apt-get -q update \
    && apt-get -q install -y --no-install-recommends libssl3 zlib1g libstdc++6 ca-certificates \
    && rm -rf /var/lib/apt/lists/*

# An unprivileged system user with a fixed uid (stable across rebuilds, outside the range of
# ordinary host users). relayd writes no files, so it needs no home directory.
RUN useradd --system --uid 10001 --user-group --no-create-home --shell /usr/sbin/nologin relayd

COPY --from=build /staging/relayd /staging/swift-backtrace-static /usr/local/bin/

# Use the backtracer copied above: non-interactive (no debugger prompt in a container), all
# threads, and sanitized (potentially sensitive details such as file paths left out).
ENV SWIFT_BACKTRACE=enable=yes,sanitize=yes,threads=all,images=all,interactive=no,swift-backtrace=/usr/local/bin/swift-backtrace-static

# One JSON object per log line on stderr, which Railway's log explorer indexes.
ENV RELAYD_LOG_FORMAT=json

# Listen on every interface: in a container, traffic arrives from outside it. (relayd's own
# default answers only its machine.) See the README's production checklist: authentication
# and RELAYD_CORS_ORIGINS are still yours to set.
ENV RELAYD_HOST=::

USER relayd

# Documentation only: relayd listens on $PORT (set by Railway), else 8000.
EXPOSE 8000

# No HEALTHCHECK: the runtime image has no HTTP client, and Railway runs its own health
# check against /health (see railway.toml).

# Exec form, so relayd is PID 1 and receives SIGTERM directly (a shell would not forward it).
# relayd handles SIGTERM/SIGINT itself, drains, and exits 0.
ENTRYPOINT ["/usr/local/bin/relayd"]
