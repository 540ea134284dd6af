# rollsniper in a container: a static sniper on an empty image, run as a
# non-root user, with its metrics and health checks on port 9090.
#
#   docker build -t rollsniper --build-arg VERSION="$(git describe --tags --always --dirty)" .
#   docker run -d --name rollsniper --env-file sniper.env -p 127.0.0.1:9090:9090 rollsniper
#
# cmd/sniper/dockerfile_test.go runs this file's go build as a plain go build,
# so it cannot drift from a build that works.

FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=""
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w -X main.version=${VERSION}" -o /out/sniper ./cmd/sniper

FROM scratch
# The feed and Discord are reached over TLS.
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /out/sniper /sniper
# No user database in scratch: a numeric user and group, not root.
USER 65532:65532
WORKDIR /data
# Metrics, /healthz and /readyz for the health check below and for Prometheus.
# Set in the environment rather than as a flag so that arguments given to
# docker run (such as -demo) keep them.
ENV ROLL_METRICS_ADDR=0.0.0.0:9090
EXPOSE 9090
# sniper health asks /readyz on the port above: healthy when subscribed and the
# feed is alive. No shell or curl needed.
HEALTHCHECK --interval=30s --timeout=10s --start-period=30s --retries=3 CMD ["/sniper", "health"]
ENTRYPOINT ["/sniper"]
