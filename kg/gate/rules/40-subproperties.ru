# Super-properties of the chipgraph namespace: s p o, p rdfs:subPropertyOf+ q  =>  s q o
# (for example each cg:dense…TFLOPS figure is also a cg:denseThroughput).
# Only chipgraph super-properties: alignments to schema.org and W3C ORG stay in the ontology.
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
INSERT { GRAPH <https://w3id.org/chipgraph/graph/inferred> { ?s ?super ?o } }
WHERE {
  GRAPH <https://w3id.org/chipgraph/graph/ontology> { ?p rdfs:subPropertyOf+ ?super }
  FILTER(STRSTARTS(STR(?super), "https://w3id.org/chipgraph/ontology#"))
  GRAPH ?g { ?s ?p ?o }
  FILTER NOT EXISTS { GRAPH ?h { ?s ?super ?o } }
}
