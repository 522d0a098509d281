# The continuity service and processors; configuration comes from the environment.
FROM node:20-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm install --omit=dev --no-audit --no-fund
COPY . .
ENV CONTINUITY_HOST=0.0.0.0
EXPOSE 8080
ENTRYPOINT ["node", "bin/continuity.mjs"]
CMD ["serve"]
