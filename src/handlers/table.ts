// The table of framework modules: adding a framework is adding a module and a line here.
import type { HandlerFinder } from "./finder.js";
import { express } from "./express.js";
import { fastify } from "./fastify.js";
import { hono } from "./hono.js";
import { koa } from "./koa.js";
import { nestjs } from "./nestjs.js";
import { amqplib } from "./amqplib.js";
import { bull } from "./bull.js";
import { agenda } from "./agenda.js";
import { pgBoss } from "./pg-boss.js";
import { beeQueue } from "./bee-queue.js";
import { graphileWorker } from "./graphile-worker.js";
import { bullmq } from "./bullmq.js";
import { kafkajs } from "./kafkajs.js";
import { nodeCron } from "./node-cron.js";
import { sqs } from "./sqs.js";
import { graphql } from "./graphql.js";
import { grpc } from "./grpc.js";
import { lambda } from "./lambda.js";
import { nextjs } from "./nextjs.js";
import { trpc } from "./trpc.js";
import { nestjsWebsockets } from "./nestjs-websockets.js";
import { socketIo } from "./socket-io.js";
import { ws } from "./ws.js";

export const FINDERS: readonly HandlerFinder[] = [express, fastify, koa, hono, nestjs, kafkajs, bullmq, bull, agenda, pgBoss, beeQueue, graphileWorker, amqplib, sqs, nodeCron, nextjs, lambda, trpc, graphql, grpc, socketIo, ws, nestjsWebsockets];
