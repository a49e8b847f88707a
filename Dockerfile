# One image for every Flowsmith app; docker-compose.yml picks the command per service.
FROM node:20-bookworm-slim AS build
WORKDIR /app
ENV PUPPETEER_SKIP_DOWNLOAD=1 NX_DAEMON=false NX_NO_CLOUD=true
COPY package.json package-lock.json ./
# Install scripts stay off: none of our dependencies needs one, and some would download binaries.
# `npm install` rather than `npm ci`: see ensure_npm in scripts/lib.sh (platform packages).
RUN npm install --ignore-scripts --no-audit --no-fund
COPY . .
RUN npm run build && npm prune --omit=dev --ignore-scripts

FROM node:20-bookworm-slim AS runtime
WORKDIR /app
ENV NODE_ENV=production PUPPETEER_SKIP_DOWNLOAD=1
RUN groupadd --system flowsmith && useradd --system --gid flowsmith --home /app flowsmith
COPY --from=build /app/package.json /app/package-lock.json /app/prisma.config.ts ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/prisma ./prisma
COPY --from=build /app/dist ./dist
USER flowsmith
EXPOSE 3000
CMD ["node", "dist/apps/gateway/src/main.js"]

# The render worker also needs Debian's Chromium, a JVM and Graphviz for PlantUML, TeX and dvisvgm for TikZ, and the fonts labels are drawn with.
FROM runtime AS render
USER root
RUN apt-get update \
 && apt-get install -y --no-install-recommends chromium fonts-noto-core fonts-noto-mono fonts-noto-cjk fonts-noto-color-emoji fonts-comic-neue fonts-liberation2 fontconfig graphviz default-jre-headless texlive-latex-base texlive-pictures dvisvgm python3-blockdiag python3-seqdiag python3-actdiag python3-nwdiag \
 && rm -rf /var/lib/apt/lists/*
ENV CHROMIUM_PATH=/usr/bin/chromium
USER flowsmith
CMD ["node", "dist/apps/render-worker/src/main.js"]
