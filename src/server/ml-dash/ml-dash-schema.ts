import { buildSchema, type GraphQLSchema } from "graphql";

/**
 * The part of ML-Dash's GraphQL schema its Python client (0.11) queries: the current user, a namespace's
 * projects, an experiment and its files, and a project's tree of folders and experiments. Queries only: the
 * client writes through REST. Anything else is answered with GraphQL's own validation errors.
 */
export const mlDashSchema: GraphQLSchema = buildSchema(`
  scalar JSON

  enum NodeType { PROJECT FOLDER EXPERIMENT FILE }

  type Query {
    me: User
    namespace(slug: String!): Namespace
    project(id: ID, namespaceSlug: String, projectSlug: String): Project
    experimentById(id: ID!): Experiment
    experimentNode(experimentId: ID!): Node
    experiment(namespaceSlug: String, projectSlug: String!, experimentName: String!): Experiment
    projectsPaginated(namespaceSlug: String, limit: Int!, offset: Int!): ProjectPage!
    experimentsPaginated(
      namespaceSlug: String
      projectSlug: String!
      status: ExperimentStatus
      limit: Int!
      offset: Int!
    ): ExperimentPage!
    searchExperimentsPaginated(pattern: String!, limit: Int!, offset: Int!): ExperimentPage!
  }

  enum ExperimentStatus { RUNNING COMPLETED FAILED CANCELLED UNKNOWN }

  type ProjectPage {
    projects: [Project!]!
    totalCount: Int!
    hasMore: Boolean!
  }

  type ExperimentPage {
    experiments: [Experiment!]!
    totalCount: Int!
    hasMore: Boolean!
  }

  type Metric {
    name: String!
  }

  type Parameters {
    id: ID!
    data: JSON
  }

  type User {
    id: ID!
    username: String
    email: String
    name: String
    given_name: String
    family_name: String
    picture: String
  }

  type Namespace {
    id: ID!
    slug: String!
    projects: [Project!]!
  }

  type Project {
    id: ID!
    slug: String!
    name: String!
    description: String
    tags: [String!]!
    experimentCount: Int
    namespace: Namespace!
    nodes(parentId: ID, maxDepth: Int): [Node!]!
  }

  type Node {
    id: ID!
    name: String!
    type: NodeType!
    pPath: String
    experimentId: ID
    parentId: ID
    children: [Node!]!
  }

  type Experiment {
    id: ID!
    name: String!
    description: String
    tags: [String!]!
    status: String!
    metadata: JSON
    startedAt: String
    endedAt: String
    projectId: ID!
    project: Project!
    filesPaginated(limit: Int!, offset: Int!): FilePage!
    files: [File!]!
    metrics: [Metric!]!
    parameters: Parameters
    trackCount: Int!
    displayPath: String!
  }

  type FilePage {
    files: [File!]!
    totalCount: Int!
    hasMore: Boolean!
  }

  type File {
    id: ID!
    name: String!
    description: String
    tags: [String!]!
    metadata: JSON
    createdAt: String
    pPath: String
    physicalFile: PhysicalFile
  }

  type PhysicalFile {
    id: ID!
    filename: String!
    contentType: String
    sizeBytes: Float
    checksum: String
    s3Url: String
  }
`);
