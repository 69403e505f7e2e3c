# AURA on the official Deno image. Build: docker build -t aura .
# Run:   docker run -p 8000:8000 -v aura-data:/app/data aura
FROM denoland/deno:2.9.6

WORKDIR /app

# Dependencies first, so code changes do not re-download them.
COPY deno.json deno.lock ./
RUN deno install
COPY . .
RUN deno cache main.ts && mkdir -p /app/data && chown -R deno:deno /app

# The image's unprivileged user.
USER deno

ENV HOST=0.0.0.0 \
    PORT=8000 \
    AURA_DATA_DIR=/app/data

VOLUME ["/app/data"]
EXPOSE 8000

CMD ["task", "start"]
