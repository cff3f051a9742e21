# syntax=docker/dockerfile:1
# Build: cgo is on because the SQLite driver is C.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=1 go build -trimpath \
      -ldflags "-s -w -X main.version=${VERSION}" -o /out/warroom . \
 && mkdir -p /out/data

# Run: glibc, CA certificates and a non-root user, nothing else.
FROM gcr.io/distroless/base-debian12:nonroot
COPY --from=build /out/warroom /warroom
COPY --from=build --chown=nonroot:nonroot /out/data /data
ENV WARROOM_DATABASE_PATH=/data/warroom.db \
    WARROOM_HTTP_ADDR=:8080
VOLUME ["/data"]
EXPOSE 8080
USER nonroot:nonroot
ENTRYPOINT ["/warroom"]
CMD ["serve"]
