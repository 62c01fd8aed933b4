# Inverse properties, both ways: p owl:inverseOf q, s p o  =>  o q s  (and s q o  =>  o p s).
PREFIX owl: <http://www.w3.org/2002/07/owl#>
INSERT { GRAPH <https://w3id.org/chipgraph/graph/inferred> { ?o ?inverse ?s } }
WHERE {
  GRAPH <https://w3id.org/chipgraph/graph/ontology> {
    { ?p owl:inverseOf ?inverse } UNION { ?inverse owl:inverseOf ?p }
  }
  GRAPH ?g { ?s ?p ?o }
  FILTER(isIRI(?o) || isBlank(?o))
  FILTER NOT EXISTS { GRAPH ?h { ?o ?inverse ?s } }
}
