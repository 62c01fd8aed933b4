# Transitive properties (cg:subsidiaryOf, cg:hasSubsidiary): a p b, b p c  =>  a p c.
# The build repeats the rules until nothing new is inferred, so chains of any length close.
PREFIX owl: <http://www.w3.org/2002/07/owl#>
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
INSERT { GRAPH <https://w3id.org/chipgraph/graph/inferred> { ?a ?p ?c } }
WHERE {
  GRAPH <https://w3id.org/chipgraph/graph/ontology> { ?p rdf:type owl:TransitiveProperty }
  GRAPH ?g1 { ?a ?p ?b }
  GRAPH ?g2 { ?b ?p ?c }
  FILTER(?a != ?c)
  FILTER NOT EXISTS { GRAPH ?h { ?a ?p ?c } }
}
